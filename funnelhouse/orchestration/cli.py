"""Subcommands contributed to `funnelhouse` (see funnelhouse/cli.py PLUGIN_MODULES)."""

from __future__ import annotations

import argparse


def _airflow(args: argparse.Namespace) -> int:
    from funnelhouse.orchestration.local_airflow import main

    return main(port=args.port, host=args.host)


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from funnelhouse.config import load_settings
    from funnelhouse.orchestration.tasks import _point_latest, reports_root
    from funnelhouse.report import build_report
    from funnelhouse.warehouse import ensure_running

    settings = load_settings()
    dsn = ensure_running(settings)
    out_dir = Path(args.out) if args.out else reports_root(settings) / "manual"
    page = build_report(dsn, out_dir)
    if not args.out:
        _point_latest(reports_root(settings) / "latest", out_dir)
    print(page)
    return 0


def _bi_grant(args: argparse.Namespace) -> int:
    from funnelhouse.config import load_settings
    from funnelhouse.orchestration.bi import grant_bi_access
    from funnelhouse.warehouse import ensure_running

    result = grant_bi_access(ensure_running(load_settings()))
    print(f"role {result['role']}: SELECT on {len(result['tables'])} tables in schema {result['schema']}"
          + (f"; login user {result['login_user']}" if result["login_user"] else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    existing = set(sub.choices)
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
        p.add_argument("action", choices=["grant"])
        p.set_defaults(func=_bi_grant)
