"""`funnelhouse` command line: one entry point; each package contributes its own subcommands."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from contextlib import ExitStack

import extractors.cli
from funnelhouse.core import warehouse
from funnelhouse.core.env import ConfigError
from funnelhouse.core.settings import load_settings, mask_dsn
from funnelhouse.core.warehouse_auth import with_credentials
from funnelhouse.dbt import run_dbt
from funnelhouse.run import run_pipeline
from sandbox.serving import serve_world

# Packages that add subcommands through `register(subparsers)`; missing ones are skipped so a
# partial checkout still has a working CLI.
PLUGIN_MODULES = ("sandbox.cli", "expectations.cli", "funnelhouse.orchestration.cli", "funnelhouse.metrics")


def _warehouse(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action in ("start", "url", "psql"):
        dsn = warehouse.ensure_running(settings)
    if args.action == "start":
        where = "embedded" if settings.embedded_warehouse else "external (WAREHOUSE_DSN)"
        print(f"warehouse running ({where}): {mask_dsn(dsn)}  (with the password: funnelhouse warehouse url)")
    elif args.action == "url":
        print(dsn)  # the one place the secret is printed (README: treat it as a password)
    elif args.action == "psql":
        from pgserver._commands import POSTGRES_BIN_PATH

        # The password goes through the environment, not argv (which `ps` shows to every local user).
        parts = warehouse.dsn_parts(dsn)
        env = {**os.environ, "PGPASSWORD": parts["password"]} if parts["password"] else None
        bare = with_credentials(dsn, parts["user"], "").replace(":@", "@", 1)
        return subprocess.call([str(POSTGRES_BIN_PATH / "psql"), bare, *args.psql_args], env=env)
    elif args.action == "stop":
        if not settings.embedded_warehouse:
            print("WAREHOUSE_DSN is set: the external server is not managed by funnelhouse")
            return 0
        stopped = warehouse.embedded(settings).stop()
        print("warehouse stopped" if stopped else "warehouse was not running")
    elif args.action == "status":
        if not settings.embedded_warehouse:
            warehouse.check_reachable(str(settings.warehouse_dsn))
            print("external warehouse reachable")
            return 0
        emb = warehouse.embedded(settings)
        running = emb.is_running()
        print(f"embedded warehouse: {'running at ' + mask_dsn(emb.dsn) if running else 'stopped'} (data: {emb.pgdata})")
        return 0 if running else 3
    return 0


def _config(args: argparse.Namespace) -> int:
    settings = load_settings()
    redacted = settings.redacted()
    if args.json:
        print(json.dumps(redacted, indent=2))
    else:
        width = max(len(k) for k in redacted)
        for key, value in redacted.items():
            print(f"{key:<{width}}  {value}")
    return 0


def _extract(args: argparse.Namespace) -> int:
    """Without CRM credentials (sandbox mode) serve the sandbox world for the duration of the
    extraction, exactly as `make run` does, so the command works on a fresh checkout."""
    settings = load_settings()
    with ExitStack() as stack:
        if settings.sandbox_mode:
            servers = stack.enter_context(serve_world(settings))
            settings = servers.settings(settings)
            print(f"no CRM credentials: extracting from the sandbox (clock {servers.clock})", file=sys.stderr)
        return extractors.cli.run(args, settings)


def _run(args: argparse.Namespace) -> int:
    return run_pipeline(load_settings(), fresh=args.fresh)


def _dbt(args: argparse.Namespace) -> int:
    dsn = warehouse.ensure_running(load_settings())
    return 0 if run_dbt(args.dbt_args, dsn).success else 1


def _publish(args: argparse.Namespace) -> int:
    """Write-audit-publish from the command line; exit 1 when the run is withheld."""
    from datetime import UTC, datetime

    from funnelhouse.publish import build_validate_publish

    settings = load_settings()
    dsn = warehouse.ensure_running(settings)
    run_id = args.run_id or f"cli-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    pub = build_validate_publish(dsn, run_id, build=not args.no_build, as_of=args.as_of,
                                 state_dir=settings.state_dir, data_docs=not args.no_docs)
    print(f"run {run_id}: {pub.decision} ({pub.reason})")
    for name in pub.failed_expectations:
        print(f"  failed: {name}")
    print(f"marts: {len(pub.row_counts)} tables, timings {pub.timings}")
    return 0 if pub.published else 1


def _erase(args: argparse.Namespace) -> int:
    """One person out of the warehouse and the state folder; the address is never printed."""
    from funnelhouse.erasure import erase

    kind, key = next((k, v) for k, v in (("email", args.email), ("salesforce_id", args.salesforce_id),
                                         ("hubspot_contact_id", args.hubspot_contact_id)) if v)
    option = "--" + kind.replace("_", "-")
    settings = load_settings()
    dsn = warehouse.ensure_running(settings)
    result = erase(dsn, kind, key, state_dir=settings.state_dir, rebuild=not args.no_rebuild)
    if result is None:
        print(f"funnelhouse erase: no record matches the given {option}: nothing to erase", file=sys.stderr)
        return 1
    tables = ", ".join(f"{t} {n}" for t, n in sorted(result.records.items()))
    print(f"erasure {result.erasure_id}: 1 person, {result.redacted} records redacted ({tables}); "
          f"{result.files_scrubbed} files scrubbed; rebuild: {result.rebuild or 'skipped (--no-rebuild)'}")
    return 0 if result.rebuild is None or result.rebuild.startswith("published") else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="funnelhouse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    wh = sub.add_parser("warehouse", help="manage the embedded PostgreSQL warehouse")
    wh.add_argument("action", choices=["start", "stop", "status", "url", "psql"])
    wh.add_argument("psql_args", nargs=argparse.REMAINDER, help="extra arguments for psql")
    wh.set_defaults(func=_warehouse)

    cfg = sub.add_parser("config", help="configuration")
    cfg.add_argument("action", choices=["show"])
    cfg.add_argument("--json", action="store_true")
    cfg.set_defaults(func=_config)

    run = sub.add_parser("run", help="the main job: extract, validate, build marts, publish (embedded default)")
    run.add_argument("--fresh", action="store_true", help="regenerate the sandbox world first")
    run.set_defaults(func=_run)

    dbt = sub.add_parser(
        "dbt", help="run dbt against the warehouse (e.g. funnelhouse dbt build)",
        description="`funnelhouse dbt build` builds the marts IN PLACE in schema `marts` (development: BI sees "
                    "each mart as soon as dbt writes it, unchecked). To build, check and publish the way "
                    "the pipeline does: `funnelhouse publish`, or by hand `funnelhouse dbt build --vars "
                    "'{marts_schema: marts__next}'` then `funnelhouse publish --no-build`.")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER)
    dbt.set_defaults(func=_dbt)

    pub = sub.add_parser("publish", help="write-audit-publish: dbt build into marts__next, GX checks, swap in "
                                         "as marts (or withhold: exit 1, marts unchanged)")
    pub.add_argument("--no-build", action="store_true",
                     help="publish the shadow already built by `funnelhouse dbt build --vars "
                          "'{marts_schema: marts__next}'` (validate and swap only)")
    pub.add_argument("--run-id", help="the run id recorded in audit.publications and _published_run_id")
    pub.add_argument("--as-of", help="dbt var as_of (ISO-8601; default now)")
    pub.add_argument("--no-docs", action="store_true", help="skip building Data Docs")
    pub.set_defaults(func=_publish)

    er = sub.add_parser("erase", help="erase one person's personal data (every raw version, rejected record, "
                                      "the marts, Data Docs, reports, logs); docs/erasure.md")
    key = er.add_mutually_exclusive_group(required=True)
    key.add_argument("--email", help="any of the person's addresses")
    key.add_argument("--salesforce-id", help="a Lead or Contact id")
    key.add_argument("--hubspot-contact-id", help="a HubSpot contact id")
    er.add_argument("--no-rebuild", action="store_true",
                    help="redact raw only; staging/marts keep the old data until the next full refresh")
    er.set_defaults(func=_erase)

    extractors.cli.add_parser(sub).set_defaults(func=_extract)

    for module_name in PLUGIN_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"funnelhouse: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
