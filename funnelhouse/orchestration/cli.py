"""Subcommands contributed to `funnelhouse` (see funnelhouse/cli.py PLUGIN_MODULES)."""

from __future__ import annotations

import argparse
from pathlib import Path

from funnelhouse.core.settings import load_settings
from funnelhouse.core.warehouse import ensure_running
from funnelhouse.orchestration.bi import bi_url, grant_bi_access
from funnelhouse.orchestration.dbt_render import ensure_manifest
from funnelhouse.orchestration.local_airflow import main as airflow_main
from funnelhouse.orchestration.tasks import point_latest
from funnelhouse.report import build_report


def _airflow(args: argparse.Namespace) -> int:
    return airflow_main(port=args.port, host=args.host)


def _report(args: argparse.Namespace) -> int:
    settings = load_settings()
    dsn = ensure_running(settings)
    out_dir = Path(args.out) if args.out else settings.paths.reports / "manual"
    page = build_report(dsn, out_dir)
    if not args.out:
        point_latest(settings.paths.reports / "latest", out_dir)
    print(page)
    return 0


def _bi(args: argparse.Namespace) -> int:
    if args.action == "url":
        print(bi_url(load_settings()))  # a secret, like `funnelhouse warehouse url`
        return 0
    result = grant_bi_access(ensure_running(load_settings()))
    print(f"role {result['role']}: SELECT on {len(result['tables'])} tables in schema {result['schema']}"
          + (f"; login user {result['login_user']}" if result["login_user"] else ""))
    return 0


def _manifest(_args: argparse.Namespace) -> int:
    print(ensure_manifest())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    existing = set(sub.choices)
    if "manifest" not in existing:
        p = sub.add_parser("manifest", help="prepare the dbt manifest the DAGs render (dbt parse, once per change)")
        p.set_defaults(func=_manifest)
    if "airflow" not in existing:
        p = sub.add_parser("airflow", help="start a local Airflow (standalone) on the embedded warehouse")
        p.add_argument("--port", type=int, default=8080)
        p.add_argument("--host", default="127.0.0.1")
        p.set_defaults(func=_airflow)
    if "report" not in existing:
        p = sub.add_parser("report", help="(re)build the HTML run report from the warehouse")
        p.add_argument("--out", help="output folder (default: <state>/reports/manual, linked as reports/latest)")
        p.set_defaults(func=_report)
    if "bi" not in existing:
        p = sub.add_parser("bi", help="BI access: (re)grant the read-only bi_reader role on schema marts")
        p.add_argument("action", choices=["grant", "url"],
                       help="grant: refresh the role's grants; url: the BI login's DSN (a secret)")
        p.set_defaults(func=_bi)
