"""The watcher producer (the one `dbt build` of a run), reporting only what the node tasks read.

Cosmos' producer turns every event dbt fires into JSON in the dbt thread that fired it and writes an
XCom for each node start, compile, execute and finish, one at a time under one lock. Each XCom write
is a call to Airflow's execution API and a metadata-DB commit (an XCom delete measured 16.6 ms here);
on the default world, by estimate ~2,700 writes, it made the producer's build 52 s against 18 s for
the same build run directly (stop 34). `FastProducer` keeps Cosmos' producer (its command, its
`task_status`, its done gate) and replaces what it reports:
- one report per model and seed, written once that node and all its tests finished (dbt_reports.py:
  ~110 XCom writes on the default world, where Cosmos' keys were ~450);
- every event at info level or louder still goes to the task log; debug ones are dropped before
  serialisation unless Cosmos' logger is at DEBUG.

The reports are written by one writer thread, in the order dbt fired the events, instead of inside
the dbt thread that fired them: dbt's threads never wait on the metadata DB. The writer is drained
(and reports a test never completed are flushed) before the producer reports itself finished
(Cosmos' `task_status` XCom), so a node task never finds the producer done and its node unreported.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cosmos.operators._watcher.base import _log_dbt_msg, _surface_non_json_stdout
from cosmos.operators._watcher.state import DBT_UPSTREAM_FAILURE_SKIP_EVENT_NAMES, safe_xcom_push
from cosmos.operators.watcher import DbtProducerWatcherOperator

from funnelhouse.orchestration.dbt_reports import NodeReports, report_key

# where Cosmos logs each dbt event's message (the producer's task log)
cosmos_log = logging.getLogger("cosmos.operators._watcher.base")
# The debug-level events the reports are made of (NodeFinished is debug in dbt).
_NEEDED = frozenset({"NodeFinished", *DBT_UPSTREAM_FAILURE_SKIP_EVENT_NAMES})


def _needed_events_only(callback: Callable[[Any], None]) -> Callable[[Any], None]:
    """A dbt event callback that skips the debug events nobody reads (before their JSON is built)."""
    if getattr(callback, "needed_events_only", False):
        return callback
    if cosmos_log.isEnabledFor(logging.DEBUG):  # read once: wrapped right before dbt starts
        return callback

    def on_event(event: Any) -> None:
        info = event.info
        if info.level != "debug" or info.name in _NEEDED:
            callback(event)

    on_event.needed_events_only = True  # type: ignore[attr-defined]
    return on_event


class FastProducer(DbtProducerWatcherOperator):
    """Cosmos' watcher producer writing one report per node (module docstring)."""

    @property
    def _dbt_runner_callbacks(self) -> list[Callable[[Any], None]] | None:
        return self.__dict__.get("_dbt_runner_callbacks")

    @_dbt_runner_callbacks.setter
    def _dbt_runner_callbacks(self, callbacks: list[Callable[[Any], None]] | None) -> None:
        # Cosmos appends its parsing callback right before it starts dbt (watcher.run_dbt_runner)
        self.__dict__["_dbt_runner_callbacks"] = [_needed_events_only(c) for c in callbacks] if callbacks else callbacks

    def _make_parse_callable(self) -> Callable[[str, Any], None]:
        """Called by Cosmos once per dbt invocation that reports (never for its freshness pre-check)."""
        reports = NodeReports(dict(self.tests_per_model or {}))
        self.__dict__["_reports"] = reports

        def parse(line: str, extra_kwargs: Any) -> None:
            try:
                event = json.loads(line)
            except ValueError:
                return _surface_non_json_stdout(line)  # Cosmos forwards non-JSON output to the log
            context = (extra_kwargs or {}).get("context")
            if context is not None:
                for unique_id, report in reports.on_event(event, extra_kwargs.get("project_dir")):
                    safe_xcom_push(task_instance=context["ti"], key=report_key(unique_id), value=report)
            _log_dbt_msg(event)

        return self._in_writer_thread(parse)

    def _in_writer_thread(self, parse: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
        """`parse`, run by one writer thread in arrival order; the returned callable only queues."""
        lines: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        errors: list[BaseException] = []

        def write() -> None:
            while (item := lines.get()) is not None:
                try:
                    parse(*item)
                except Exception as exc:  # raised once dbt ends, as Cosmos does with a callback's error
                    cosmos_log.exception("Error in dbt event callback: %s", exc)
                    errors.append(exc)

        writer = threading.Thread(target=write, name="dbt-event-writer", daemon=True)
        writer.start()
        self.__dict__["_writer"] = (lines, writer, errors)
        return lambda line, extra_kwargs: lines.put((line, extra_kwargs))

    @contextmanager
    def _reporting(self, context: Any) -> Iterator[None]:
        """Around one dbt invocation: every report is written before Cosmos can mark the producer
        completed, whatever dbt did; a callback's error is raised after dbt's own (if any)."""
        try:
            yield
        except BaseException:
            self._finish_reports(context)  # dbt's own error is the one to report
            raise
        if errors := self._finish_reports(context):
            raise errors[0]

    def _finish_reports(self, context: Any) -> list[BaseException]:
        lines, writer, errors = self.__dict__.pop("_writer", (None, None, []))
        if writer is not None:
            lines.put(None)
            writer.join()
        reports: NodeReports | None = self.__dict__.pop("_reports", None)
        if reports is not None and context is not None:
            for unique_id, report in reports.unfinished():
                safe_xcom_push(task_instance=context["ti"], key=report_key(unique_id), value=report)
        return errors

    def run_dbt_runner(self, command: list[str], env: dict[str, str], cwd: str, **kwargs: Any) -> Any:
        with self._reporting(kwargs.get("context")):
            return super().run_dbt_runner(command, env, cwd, **kwargs)

    def run_subprocess(self, command: list[str], env: dict[str, str], cwd: str, **kwargs: Any) -> Any:
        with self._reporting(kwargs.get("context")):
            return super().run_subprocess(command, env, cwd, **kwargs)


def use_fast_producer(producer: DbtProducerWatcherOperator) -> None:
    """Make the producer Cosmos rendered a FastProducer (Cosmos has no setting for the producer's class)."""
    producer.__class__ = FastProducer
