"""The watcher producer (the one `dbt build` of a run), reporting only what the node tasks read.

Cosmos' producer turns every event dbt fires into JSON in the dbt thread that fired it and writes an
XCom for each node start, compile, execute and finish, tests included, one at a time under one lock.
Each XCom write is a call to Airflow's execution API and a metadata-DB commit (an XCom delete measured
16.6 ms here); on the default world, by estimate ~2,700 writes (546 nodes × 4 events, plus statuses and
SQL), it made the producer's build 52 s against 18 s for the same build run directly (stop 34).
`FastProducer` keeps Cosmos' producer and its parser, and feeds the parser only:
- a node's `NodeFinished` (its status, compiled SQL and final event; for a test, its result into the
  aggregated `<model>_tests_status`, the only test XCom a task reads: dbt_watchers.py);
- error events, the skips caused by an upstream failure and the version banner.
Every other event at info level or louder is still written to the task log; debug ones are dropped
before serialisation unless Cosmos' logger is at DEBUG.

The reports (~450 XCom writes on the default world, ~16 ms each) are made by one writer thread, in
the order dbt fired the events, instead of inside the dbt thread that fired them: dbt's threads no
longer wait on the metadata DB. The writer is drained before the producer reports itself finished
(Cosmos' `task_status` XCom), so a node task never finds the producer done and its node unreported.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from cosmos.operators._watcher.aggregation import push_test_result_or_aggregate
from cosmos.operators._watcher.base import _DBT_ERROR_EVENTS_TYPES, _log_dbt_msg
from cosmos.operators._watcher.state import DBT_UPSTREAM_FAILURE_SKIP_EVENT_NAMES, is_dbt_node_status_terminal
from cosmos.operators.watcher import DbtProducerWatcherOperator

# where Cosmos logs each dbt event's message (the producer's task log)
cosmos_log = logging.getLogger("cosmos.operators._watcher.base")
_TESTS = ("test", "unit_test")
# Events Cosmos' parser must see (XComs, the upstream-failure rewrite, the startup banner).
_PARSED = frozenset({"NodeFinished", "MainReportVersion", "AdapterRegistered",
                     *_DBT_ERROR_EVENTS_TYPES, *DBT_UPSTREAM_FAILURE_SKIP_EVENT_NAMES})


def _needed_events_only(callback: Callable[[Any], None]) -> Callable[[Any], None]:
    """A dbt event callback that skips the debug events nobody reads (before their JSON is built)."""
    if getattr(callback, "needed_events_only", False):
        return callback
    if cosmos_log.isEnabledFor(logging.DEBUG):  # read once: wrapped right before dbt starts
        return callback

    def on_event(event: Any) -> None:
        info = event.info
        if info.level != "debug" or info.name in _PARSED:
            callback(event)

    on_event.needed_events_only = True  # type: ignore[attr-defined]
    return on_event


class FastProducer(DbtProducerWatcherOperator):
    """Cosmos' watcher producer with its dbt event reports trimmed (module docstring)."""

    @property
    def _dbt_runner_callbacks(self) -> list[Callable[[Any], None]] | None:
        return self.__dict__.get("_dbt_runner_callbacks")

    @_dbt_runner_callbacks.setter
    def _dbt_runner_callbacks(self, callbacks: list[Callable[[Any], None]] | None) -> None:
        # Cosmos appends its parsing callback right before it starts dbt (watcher.run_dbt_runner)
        self.__dict__["_dbt_runner_callbacks"] = [_needed_events_only(c) for c in callbacks] if callbacks else callbacks

    def _make_parse_callable(self) -> Callable[[str, Any], None]:
        parse = super()._make_parse_callable()
        tests_per_model, results = self.tests_per_model, self.test_results_per_model

        def parse_needed(line: str, extra_kwargs: Any) -> None:
            try:
                event = json.loads(line)
            except ValueError:
                return parse(line, extra_kwargs)  # Cosmos forwards non-JSON output to the log
            name = event.get("info", {}).get("name")
            node = (event.get("data") or {}).get("node_info") or {}
            if name == "NodeFinished" and node.get("resource_type") in _TESTS:
                status = node.get("node_status")
                if node.get("resource_type") == "test" and tests_per_model and is_dbt_node_status_terminal(status):
                    push_test_result_or_aggregate(node.get("unique_id"), status, tests_per_model, results,
                                                  extra_kwargs["context"]["ti"])
                _log_dbt_msg(event)
            elif name in _PARSED:
                parse(line, extra_kwargs)
            else:
                _log_dbt_msg(event)

        # (the subprocess invocation mode has no end this class hooks: it keeps Cosmos' inline writes)
        return self._in_writer_thread(parse_needed) if self.__dict__.get("_in_dbt_runner") else parse_needed

    def _in_writer_thread(self, parse: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
        """`parse`, run by one writer thread in arrival order; the returned callable only queues."""
        lines: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        errors: list[BaseException] = []

        def write() -> None:
            while (item := lines.get()) is not None:
                try:
                    parse(*item)
                except Exception as exc:  # raised by run_dbt_runner once dbt ends, as Cosmos does
                    cosmos_log.exception("Error in dbt event callback: %s", exc)
                    errors.append(exc)

        writer = threading.Thread(target=write, name="dbt-event-writer", daemon=True)
        writer.start()
        self.__dict__["_writer"] = (lines, writer, errors)
        return lambda line, extra_kwargs: lines.put((line, extra_kwargs))

    def _drain_writer(self) -> list[BaseException]:
        lines, writer, errors = self.__dict__.pop("_writer", (None, None, []))
        if writer is not None:
            lines.put(None)
            writer.join()
        return errors

    def run_dbt_runner(self, command: list[str], env: dict[str, str], cwd: str, **kwargs: Any) -> Any:
        # every report is written before Cosmos marks the producer completed, whatever dbt did
        self.__dict__["_in_dbt_runner"] = True
        try:
            result = super().run_dbt_runner(command, env, cwd, **kwargs)
        except BaseException:
            self._drain_writer()  # dbt's own error is the one to report
            raise
        finally:
            self.__dict__["_in_dbt_runner"] = False
        if errors := self._drain_writer():
            raise errors[0]  # as Cosmos does with a callback's error: after the dbt run
        return result


def use_fast_producer(producer: DbtProducerWatcherOperator) -> None:
    """Make the producer Cosmos rendered a FastProducer (Cosmos has no setting for the producer's class)."""
    producer.__class__ = FastProducer
