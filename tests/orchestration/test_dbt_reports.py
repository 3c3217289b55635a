"""The producer's one report per dbt node (dbt_reports.NodeReports), from dbt's JSON events.

The events have the shape dbt's `--log-format json` / dbtRunner callbacks give them (info.name,
data.node_info, data.run_result); the DAG tests (test_dbt_test_failure, test_dag_e2e) run the real
producer and check the reports it wrote in the metadata DB.
"""

from __future__ import annotations

from pathlib import Path

from funnelhouse.orchestration.dbt_reports import NodeReports, report_key

PKG = "funnelhouse"
ORDERS, PEOPLE, FLAT = f"model.{PKG}.orders", f"model.{PKG}.people", f"model.{PKG}.flat"
UNIQUE, NOT_NULL = f"test.{PKG}.unique_orders_id.1a2b", f"test.{PKG}.not_null_orders_id.3c4d"
RELATION = f"test.{PKG}.relationships_orders_person_id__id__ref_people_.5e6f"
TESTS = {ORDERS: [UNIQUE, NOT_NULL, RELATION], PEOPLE: [RELATION]}


def event(name: str, unique_id: str, status: str | None, *, message: str | None = None) -> dict:
    kind = unique_id.split(".")[0]
    node = {"unique_id": unique_id, "resource_type": kind, "node_status": status,
            "node_path": f"marts/{unique_id.split('.')[2]}.sql" if kind == "model" else None,
            "node_started_at": "2026-12-07T10:00:00.000000", "node_finished_at": "2026-12-07T10:00:01.500000"}
    data = {"node_info": node, "run_result": {"message": message}} if name == "NodeFinished" else {"node_info": node}
    return {"info": {"name": name, "level": "debug", "msg": f"{name} {unique_id}"}, "data": data}


def finished(reports: NodeReports, unique_id: str, status: str, project: Path | None = None) -> dict[str, dict]:
    return dict(reports.on_event(event("NodeFinished", unique_id, status), str(project) if project else None))


def test_a_node_without_tests_is_reported_at_once_with_its_compiled_sql(tmp_path) -> None:
    compiled = tmp_path / "target" / "compiled" / PKG / "models" / "marts" / "flat.sql"
    compiled.parent.mkdir(parents=True)
    compiled.write_text("select 1 as id\n")
    reports = NodeReports(TESTS)
    assert reports.on_event(event("NodeStart", FLAT, "started"), str(tmp_path)) == []
    out = finished(reports, FLAT, "success", tmp_path)
    assert list(out) == [FLAT]
    assert out[FLAT]["status"] == "success" and out[FLAT]["tests"] is None
    assert out[FLAT]["compiled_sql"] == "select 1 as id"
    assert out[FLAT]["event"]["status"] == "success" and out[FLAT]["event"]["finish_time"]
    assert reports.unfinished() == []
    assert report_key(FLAT) == "model__funnelhouse__flat__report"


def test_a_built_node_is_reported_once_all_its_tests_finished() -> None:
    reports = NodeReports(TESTS)
    assert finished(reports, ORDERS, "success") == {}, "held: its tests are still to run"
    assert finished(reports, UNIQUE, "pass") == {}
    assert finished(reports, NOT_NULL, "fail") == {}
    assert finished(reports, PEOPLE, "success") == {}, "people waits for the relationships test too"
    out = finished(reports, RELATION, "pass")  # a test of two parents completes both
    assert sorted(out) == [ORDERS, PEOPLE]
    assert (out[ORDERS]["tests"], out[ORDERS]["failed_tests"]) == ("fail", ["not_null_orders_id"])
    assert (out[PEOPLE]["tests"], out[PEOPLE]["failed_tests"]) == ("pass", [])
    assert out[ORDERS]["status"] == "success", "the model itself was built"
    assert reports.unfinished() == [], "each report is written exactly once"


def test_a_failed_node_is_reported_at_once_and_a_skip_after_an_upstream_failure_fails() -> None:
    reports = NodeReports(TESTS)
    out = dict(reports.on_event(event("NodeFinished", ORDERS, "error", message="division by zero"), None))
    assert out[ORDERS]["status"] == "error" and out[ORDERS]["event"]["msg"] == "division by zero"
    assert reports.on_event(event("SkippingDetails", PEOPLE, "skipped"), None) == []
    assert finished(reports, PEOPLE, "skipped")[PEOPLE]["status"] == "error", \
        "skipped because its upstream failed: red (and retryable), as in Cosmos"
    assert finished(reports, FLAT, "skipped")[FLAT]["status"] == "skipped", "any other skip stays a skip"


def test_a_report_whose_tests_never_all_finished_is_flushed_incomplete() -> None:
    reports = NodeReports(TESTS)
    finished(reports, ORDERS, "success")
    finished(reports, UNIQUE, "pass")
    out = dict(reports.unfinished())
    assert (out[ORDERS]["tests"], out[ORDERS]["failed_tests"]) == ("incomplete", [])
    assert reports.unfinished() == [], "flushed once"
    assert finished(reports, NOT_NULL, "pass") == {}, "a late test event writes nothing more"
