"""One XCom per dbt node: what the producer's `dbt build` reports and the node's `<node>_build` task reads.

Cosmos' watcher protocol writes, per node, its status, its compiled SQL, its dbt event and (once all its
tests finished) the tests' aggregated status, and its watcher reads the producer's state and then each of
those keys: ~4 writes and 5 reads per node. Each is a call to Airflow's execution API (10-16 ms measured
here, in `airflow dags test` inside the process that also runs dbt), ~1,000 calls per DAG run on the
default world. Here the producer holds a built node's report until every one of its tests finished and
writes it once (`NodeReports`), and the node's task reads that one XCom (dbt_watchers.py) and asks for
the producer's state only when the report is not there yet or on a retry.

A report is a dict: `status` (the node's dbt status, a skip caused by an upstream failure made `error`
as Cosmos does, so the task fails and can be retried), `tests` (`pass`, `fail`, `incomplete` or None
when the node has no tests), `failed_tests`, `compiled_sql` and `event` (Cosmos' event shape, logged
by the node's task). Reports still held when dbt ends (a test dbt never reported) are flushed with
`tests: incomplete`, so no task waits for a report that will never come.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from cosmos.operators._watcher.base import _extract_compiled_sql, _iso_to_string
from cosmos.operators._watcher.state import (
    is_dbt_node_status_skipped,
    is_dbt_node_status_success,
    is_dbt_node_status_terminal,
    is_dbt_upstream_failure_skip_event,
)

_TESTS = ("test", "unit_test")
UPSTREAM_FAILED = "error"  # what dbt calls a failed model; Cosmos rewrites such skips to "failed" too


def report_key(unique_id: str) -> str:
    return f"{unique_id.replace('.', '__')}__report"


def read_report(ti: Any, producer_task_id: str, unique_id: str) -> dict[str, Any] | None:
    value = ti.xcom_pull(task_ids=producer_task_id, key=report_key(unique_id))
    return value if isinstance(value, dict) else None


def _test_name(unique_id: str) -> str:
    parts = unique_id.split(".")  # test.<package>.<name>[.<hash>]
    return parts[2] if len(parts) > 2 else unique_id


@dataclass
class NodeReports:
    """The producer side: dbt events in (any dbt thread), the reports to write out, each exactly once."""

    tests_per_model: dict[str, list[str]]
    _parents: dict[str, list[str]] = field(default_factory=dict)  # test -> the nodes it counts for
    _test_status: dict[str, dict[str, str]] = field(default_factory=dict)
    _held: dict[str, dict[str, Any]] = field(default_factory=dict)  # built, tests still running
    _upstream_failed: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for node, tests in self.tests_per_model.items():
            for test in tests:
                self._parents.setdefault(test, []).append(node)

    def on_event(self, event: dict[str, Any], project_dir: str | None) -> list[tuple[str, dict[str, Any]]]:
        """The (unique_id, report) pairs this dbt event completes."""
        name = (event.get("info") or {}).get("name")
        node = (event.get("data") or {}).get("node_info") or {}
        unique_id = node.get("unique_id")
        if not unique_id:
            return []
        with self._lock:
            if is_dbt_upstream_failure_skip_event(name):
                self._upstream_failed.add(unique_id)
            if name != "NodeFinished" or not is_dbt_node_status_terminal(node.get("node_status")):
                return []
            if node.get("resource_type") in _TESTS:
                return self._test_finished(unique_id, node["node_status"])
            return self._node_finished(unique_id, node, event, project_dir)

    def unfinished(self) -> list[tuple[str, dict[str, Any]]]:
        """Reports still waiting for a test when dbt ended: out now, their tests `incomplete`."""
        with self._lock:
            held, self._held = self._held, {}
        return [(uid, {**report, "tests": "incomplete", "failed_tests": self._failed(uid)})
                for uid, report in held.items()]

    def _node_finished(self, unique_id: str, node: dict[str, Any], event: dict[str, Any],
                       project_dir: str | None) -> list[tuple[str, dict[str, Any]]]:
        status = node["node_status"]
        if is_dbt_node_status_skipped(status) and unique_id in self._upstream_failed:
            status = UPSTREAM_FAILED
        run_result = (event.get("data") or {}).get("run_result") or {}
        report = {
            "status": status,
            "tests": None,
            "failed_tests": [],
            "compiled_sql": _extract_compiled_sql(project_dir, unique_id, node.get("node_path"),
                                                  node.get("resource_type")) if project_dir else None,
            "event": {"status": status, "start_time": _iso_to_string(node.get("node_started_at")),
                      "finish_time": _iso_to_string(node.get("node_finished_at")),
                      "msg": run_result.get("message") or (event.get("info") or {}).get("msg")},
        }
        if not self.tests_per_model.get(unique_id) or not is_dbt_node_status_success(status):
            return [(unique_id, report)]  # nothing to wait for: no tests, or the node's own status decides
        self._held[unique_id] = report
        return self._complete(unique_id)

    def _test_finished(self, test_id: str, status: str) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for parent in self._parents.get(test_id, []):
            self._test_status.setdefault(parent, {})[test_id] = status
            out += self._complete(parent)
        return out

    def _complete(self, unique_id: str) -> list[tuple[str, dict[str, Any]]]:
        finished = self._test_status.get(unique_id, {})
        if unique_id not in self._held or len(finished) < len(self.tests_per_model[unique_id]):
            return []
        report = self._held.pop(unique_id)
        failed = self._failed(unique_id)
        return [(unique_id, {**report, "tests": "fail" if failed else "pass", "failed_tests": failed})]

    def _failed(self, unique_id: str) -> list[str]:
        return sorted(_test_name(t) for t, s in self._test_status.get(unique_id, {}).items()
                      if not is_dbt_node_status_success(s))
