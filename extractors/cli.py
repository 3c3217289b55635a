"""`python -m extractors [salesforce|hubspot] [--objects ...] [--full-refresh]`, and the arguments
and output of `funnelhouse extract` (the app's command, which serves the sandbox when no CRM
credentials are configured and then calls `run` here).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from extractors.run import ExtractSummary, extract
from funnelhouse.core.env import ConfigError
from funnelhouse.core.raw import SOURCES
from funnelhouse.core.settings import Settings, load_settings
from funnelhouse.core.warehouse import ensure_running


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """The `extract` subcommand's arguments; the caller sets its `func`."""
    parser = subparsers.add_parser(
        "extract", help="extract Salesforce/HubSpot objects into the raw layer (incremental)",
        description="Incremental, idempotent extraction into raw_salesforce / raw_hubspot.")
    parser.add_argument("source", nargs="?", choices=sorted(SOURCES), help="one source (default: all configured)")
    parser.add_argument("--objects", nargs="+", metavar="OBJECT",
                        help="only these objects (API names, e.g. Lead CampaignMember contacts)")
    parser.add_argument("--full-refresh", action="store_true",
                        help="re-read everything from the start; stored versions are kept, new ones added")
    parser.add_argument("--quiet", action="store_true", help="no per-page progress lines")
    return parser


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
    warned = [o for o in summary.objects if o.warning]
    if warned:
        lines.append(f"{len(warned)} objects with warnings (raw_meta.sync_runs.warning):")
        lines.extend(f"  WARNING {o.source}.{o.object}: {o.warning}" for o in warned)
    if any(o.rejected for o in summary.objects):
        lines.append("  rejected records: select * from raw_meta.rejected_records order by rejected_at desc")
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Extract with these settings (CRM credentials configured or pointed at the sandbox)."""
    dsn = ensure_running(settings)
    sources = [args.source] if args.source else None
    summary = extract(settings, dsn, sources=sources, objects=args.objects,
                      full_refresh=args.full_refresh, progress=not args.quiet)
    print(format_summary(summary))
    return 0 if summary.ok else 1


def run_cli(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.sandbox_mode:
        raise ConfigError("no CRM credentials configured (SALESFORCE_* / HUBSPOT_*); "
                          "`funnelhouse extract` serves the sandbox in that case")
    return run(args, settings)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    parser = argparse.ArgumentParser(prog="python -m extractors")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub).set_defaults(func=run_cli)
    args = parser.parse_args(["extract", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"extractors: configuration error: {exc}", file=sys.stderr)
        return 2
