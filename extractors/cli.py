"""`funnelhouse extract [salesforce|hubspot] [--objects ...] [--full-refresh]`.

Without CRM credentials (sandbox mode) the command serves the sandbox world to itself for the
duration of the extraction, exactly as `make run` does, so it works on a fresh checkout.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from typing import Any

from extractors.run import SOURCES, ExtractSummary, extract


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "extract", help="extract Salesforce/HubSpot objects into the raw layer (incremental)",
        description="Incremental, idempotent extraction into raw_salesforce / raw_hubspot.")
    parser.add_argument("source", nargs="?", choices=sorted(SOURCES), help="one source (default: all configured)")
    parser.add_argument("--objects", nargs="+", metavar="OBJECT",
                        help="only these objects (API names, e.g. Lead CampaignMember contacts)")
    parser.add_argument("--full-refresh", action="store_true",
                        help="re-read everything from the start; stored versions are kept, new ones added")
    parser.add_argument("--quiet", action="store_true", help="no per-page progress lines")
    parser.set_defaults(func=run_cli)


def format_summary(summary: ExtractSummary) -> str:
    header = f"{'object':<40} {'outcome':<14} {'rows':>9} {'new':>9} {'pages':>6} {'calls':>6} " \
             f"{'retries':>7} {'rejected':>8} {'seconds':>8} {'rows/s':>8}"
    lines = [header, "-" * len(header)]
    for o in summary.objects:
        lines.append(f"{o.source + '.' + o.object:<40} {o.outcome:<14} {o.rows:>9,} {o.versions_new:>9,} "
                     f"{o.pages:>6} {o.api_calls:>6} {o.retries:>7} {o.rejected:>8} {o.seconds:>8.1f} "
                     f"{o.rate:>8,.0f}")
    lines.append("-" * len(header))
    failed = [o for o in summary.objects if o.outcome == "failed"]
    stopped = [o for o in summary.objects if o.outcome == "stopped_quota"]
    total = sum(o.rows for o in summary.objects)
    lines.append(f"{len(summary.objects)} objects, {total:,} rows in {summary.seconds:.1f}s; "
                 f"{len(failed)} failed, {len(stopped)} stopped by the API quota (run {summary.run_id})")
    for o in failed + stopped:
        lines.append(f"  {o.source}.{o.object}: {o.error}")
    if any(o.rejected for o in summary.objects):
        lines.append("  rejected records: select * from raw_meta.rejected_records order by rejected_at desc")
    return "\n".join(lines)


def run_cli(args: argparse.Namespace) -> int:
    from funnelhouse.config import load_settings
    from funnelhouse.warehouse import ensure_running

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    settings = load_settings()
    with ExitStack() as stack:
        if settings.sandbox_mode:
            from sandbox.server import start_sandbox

            from funnelhouse.run import ensure_world, sandbox_env

            servers = stack.enter_context(start_sandbox(ensure_world(settings)))
            os.environ.update(sandbox_env(servers))
            settings = load_settings()
            print(f"no CRM credentials: extracting from the sandbox (clock {servers.clock})", file=sys.stderr)
        dsn = ensure_running(settings)
        sources = [args.source] if args.source else None
        summary = extract(settings, dsn, sources=sources, objects=args.objects,
                          full_refresh=args.full_refresh, progress=not args.quiet)
    print(format_summary(summary))
    return 0 if summary.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extractors")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["extract", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args) or 0)
