"""`make airflow` (funnelhouse airflow): `airflow standalone` on the embedded warehouse comes up, its
UI/API answers on localhost with the printed credentials, and both DAGs are loaded without errors."""

from __future__ import annotations

import json
import urllib.request

from funnelhouse.core.settings import load_settings
from tests.support.airflow_cluster import free_port


def test_standalone_serves_the_dags(monkeypatch, tmp_path, manifest_dir, server_dsn) -> None:
    from funnelhouse.orchestration.local_airflow import launch

    # Real-looking credentials (not sandbox mode) so no world is generated; nothing is triggered here.
    monkeypatch.setenv("FUNNELHOUSE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("WAREHOUSE_DSN", server_dsn)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-local-test")
    monkeypatch.setenv("FUNNELHOUSE_DBT_MANIFEST_DIR", str(manifest_dir))
    settings = load_settings(env_file=tmp_path / "none.env")
    port = free_port()
    with launch(settings, port=port, home=tmp_path / "airflow-ui", timeout=300) as af:
        assert af.url == f"http://127.0.0.1:{port}" and af.password
        token_req = urllib.request.Request(f"{af.url}/auth/token", method="POST",
                                           data=json.dumps({"username": af.username,
                                                            "password": af.password}).encode(),
                                           headers={"Content-Type": "application/json"})
        token = json.loads(urllib.request.urlopen(token_req, timeout=30).read())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def get(path: str) -> dict:
            return json.loads(urllib.request.urlopen(urllib.request.Request(f"{af.url}{path}", headers=headers),
                                                     timeout=30).read())

        import time

        deadline = time.monotonic() + 240
        dags: set[str] = set()
        while time.monotonic() < deadline and dags != {"crm_funnel_elt", "funnelhouse_maintenance"}:
            dags = {d["dag_id"] for d in get("/api/v2/dags")["dags"]}
            time.sleep(3)
        assert dags == {"crm_funnel_elt", "funnelhouse_maintenance"}
        assert get("/api/v2/importErrors")["total_entries"] == 0
        health = get("/api/v2/monitor/health")
        assert health["scheduler"]["status"] == "healthy" and health["dag_processor"]["status"] == "healthy"
        # Unscheduled by default under `make airflow`: a person triggers runs from the UI.
        assert get("/api/v2/dags/crm_funnel_elt")["timetable_summary"] in (None, "None")
    assert af.process.poll() is not None, "Airflow is stopped with the context"
