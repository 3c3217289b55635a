"""`funnelhouse quality ...` (also `python -m expectations ...`).

    quality [--layer raw|staging|marts|all] [--suite NAME ...] [--no-docs] [--no-fail-on-critical]
    quality history [--limit N]   validation runs, and the marts publications (audit.publications)

Exit codes like `dbt test`: 1 when a critical expectation failed (unless --no-fail-on-critical),
warnings never fail.
    quality export            write the suites as GX JSON into expectations/gx/expectations/
    quality assets            npm-install the Data Docs front-end assets (what `make assets` does)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from funnelhouse.core.settings import load_settings
from funnelhouse.core.warehouse import ensure_running


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("quality", help="data quality: run the Great Expectations suites, history")
    parser.add_argument("action", nargs="?", default="run", choices=["run", "history", "export", "assets"],
                        help="run (default): validate now; history: recent runs from the audit schema")
    parser.add_argument("--layer", default="all",
                        help="all (default), raw, staging (staging + intermediate), marts, or e.g. staging,marts")
    parser.add_argument("--suite", action="append", default=None,
                        help="only this suite or table group (repeatable), e.g. marts_attribution")
    parser.add_argument("--no-docs", action="store_true", help="skip building Data Docs")
    parser.add_argument("--fail-on-critical", dest="fail_on_critical", action="store_true", default=True,
                        help="exit 1 when a critical expectation fails (the default; warnings never fail)")
    parser.add_argument("--no-fail-on-critical", dest="fail_on_critical", action="store_false",
                        help="exit 0 even when a critical expectation fails")
    parser.add_argument("--all-results", action="store_true", help="list passing expectations too")
    parser.add_argument("--limit", type=int, default=20, help="history: number of runs")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    if args.action == "export":
        from expectations.suites import export

        print(f"wrote {len(export())} suites")
        return 0
    if args.action == "assets":
        from expectations.assets import install

        return install()
    settings = load_settings()
    dsn = ensure_running(settings)
    if args.action == "history":
        return _history(dsn, args.limit)
    from expectations.runner import validate

    summary = validate(dsn, args.layer, suites=args.suite, data_docs=not args.no_docs,
                       state_dir=settings.state_dir)
    print(results_table(summary, all_results=args.all_results))
    return 1 if (args.fail_on_critical and not summary.success) else 0


def results_table(summary, all_results: bool = False) -> str:
    from expectations.results import describe_failure

    lines = [summary.headline(), ""]
    header = f"{'table':<48} {'suite':<44} {'status':<10} {'checks':>6} {'crit':>4} {'warn':>4}"
    lines += [header, "-" * len(header)]
    for o in sorted(summary.outcomes, key=lambda o: (o.layer, o.suite, o.asset)):
        status = o.status if o.status != "validated" else ("ok" if o.success else "FAILED" if o.failed_critical
                                                             else "warning")
        lines.append(f"{o.asset[:48]:<48} {o.suite[:44]:<44} {status:<10} {o.evaluated:>6} "
                     f"{o.failed_critical:>4} {o.failed_warning:>4}")
    problems = [(o, r) for o in summary.outcomes for r in o.results if all_results or not r.success]
    if problems:
        lines += ["", "results:" if all_results else "failed expectations:"]
        for o, r in problems:
            mark = "ok  " if r.success else ("CRIT" if r.severity == "critical" else "WARN")
            lines.append(f"  {mark} {describe_failure(o, r)}")
    if summary.data_docs_dir:
        lines += ["", f"Data Docs: {summary.data_docs_index}", f"Latest:    {summary.data_docs_latest}/index.html"]
    if summary.data_docs_note:
        lines.append(f"note: {summary.data_docs_note}")
    return "\n".join(lines)


def _history(dsn: str, limit: int) -> int:
    import psycopg

    from expectations import audit

    with psycopg.connect(dsn, autocommit=True) as conn:
        audit.ensure_schema(conn)
        runs = audit.history(conn, limit)
        publications = _publications(conn, limit)
    if publications:
        _print_publications(publications)
    if not runs:
        print("no validation runs recorded yet (run `funnelhouse quality`)")
        return 0
    header = (f"{'run_id':<40} {'dag_run_id':<28} {'layers':<18} {'started (UTC)':<19} {'outcome':<9} "
              f"{'checks':>6} {'crit':>4} {'warn':>4} {'not built':>9}")
    print(header)
    print("-" * len(header))
    for r in runs:
        outcome = "passed" if r.critical_success else "FAILED"
        print(f"{r.run_id[:40]:<40} {(r.dag_run_id or '')[:28]:<28} {r.layers[:18]:<18} "
              f"{r.started_at:%Y-%m-%d %H:%M:%S} {outcome:<9} {r.evaluated:>6} {r.failed_critical:>4} "
              f"{r.failed_warning:>4} {r.not_built:>9}")
    return 0


def _publications(conn, limit: int) -> list[tuple]:
    """audit.publications (written by the app's publish step, funnelhouse/publish.py), newest first."""
    if conn.execute("select to_regclass('audit.publications')").fetchone()[0] is None:
        return []
    return conn.execute(
        "select run_id, dag_run_id, decision, reason, failed_expectations, recorded_at, "
        "id = (select max(id) from audit.publications where decision = 'published') as live "
        "from audit.publications order by id desc limit %s", (limit,)).fetchall()


def _print_publications(rows: list[tuple]) -> None:
    live = next((r[0] for r in rows if r[6]), None)
    print(f"marts publications (live in `marts`: run {live or 'none of these'})")
    header = f"{'':2}{'run_id':<40} {'dag_run_id':<28} {'recorded (UTC)':<19} {'decision':<10} why"
    print(header)
    print("-" * len(header))
    for run_id, dag_run_id, decision, reason, failed, at, is_live in rows:
        why = reason or ""
        if failed:
            why += ": " + "; ".join(failed[:3]) + (" ..." if len(failed) > 3 else "")
        print(f"{'* ' if is_live else '  '}{run_id[:40]:<40} {(dag_run_id or '')[:28]:<28} "
              f"{at:%Y-%m-%d %H:%M:%S} {decision:<10} {why[:200]}")
    print()


def main(argv: Sequence[str] | None = None) -> int:
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    parser = argparse.ArgumentParser(prog="python -m expectations")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["quality", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args) or 0)
