"""A CRM without credentials is skipped, clearly, not failed: `airflow tasks test` of its plan task
ends in state skipped with a message that says which settings to provide."""

from __future__ import annotations

from tests.support.airflow import airflow_base_env, run_airflow, warm_manifest


def test_unconfigured_source_is_skipped(tmp_path, manifest_dir) -> None:
    env = airflow_base_env(tmp_path / "airflow", manifest_dir, HUBSPOT_ACCESS_TOKEN="pat-only-hubspot",
                           FUNNELHOUSE_STATE_DIR=str(tmp_path / "state"))
    for var in ("SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN", "SALESFORCE_USERNAME", "SALESFORCE_CLIENT_ID"):
        env.pop(var, None)
    warm_manifest(env)
    run_airflow(["db", "migrate"], env, timeout=600)
    result = run_airflow(["tasks", "test", "crm_funnel_elt", "extract_salesforce.plan"], env, timeout=600,
                         check=False)
    out = result.stdout
    assert result.returncode == 0, out[-4000:]
    assert "salesforce: no credentials configured, skipping its extraction" in out
    assert "SALESFORCE_ACCESS_TOKEN" in out
    assert "new_state=skipped" in out
