"""`funnelhouse sandbox generate|serve|advance` (also `python -m sandbox ...`)."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

from funnelhouse.core.settings import load_sandbox_settings, sandbox_dataset_dir, sandbox_token
from sandbox.emulators.faults import FaultConfig
from sandbox.server import start_sandbox
from sandbox.world import advance, generate


def _generate(args: argparse.Namespace) -> int:
    started = time.monotonic()
    out = generate(args.seed, args.people, args.out, mess=args.mess, clock=args.clock)
    meta = json.loads((out / "world.json").read_text())
    print(f"generated world seed={meta['seed']} people={meta['people_total']} mess={meta['mess']} "
          f"clock={meta['clock']} in {time.monotonic() - started:.1f}s -> {out}")
    return 0


def _advance(args: argparse.Namespace) -> int:
    meta = advance(args.dataset, args.days)
    print(f"advanced {args.dataset} by {args.days:g} days: clock={meta['clock']} people={meta['people_total']}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    dataset = Path(args.dataset)
    if not (dataset / "world.json").exists() and not (dataset / "salesforce").exists():
        wanted = load_sandbox_settings()
        seed, people = wanted.seed, wanted.people
        print(f"no dataset at {dataset}: generating seed={seed} people={people}", flush=True)
        generate(seed, people, dataset)
    faults = FaultConfig(error_rate=args.fault_rate, latency_ms=args.latency_ms, drop_rate=args.drop_rate,
                         hubspot_rate_limit=args.rate_limit, salesforce_daily_limit=args.sf_daily_limit,
                         locator_ttl_s=args.locator_ttl, seed=args.fault_seed)
    token = args.token or sandbox_token()
    servers = start_sandbox(dataset, args.salesforce_port, args.hubspot_port, faults, token=token,
                            tls_dir=args.tls_dir or dataset / ".tls", host=args.host, public_host=args.public_host)
    print(f"Salesforce (REST + Bulk 2.0, TLS): {servers.salesforce_url}\n"
          f"HubSpot (CRM v3):                 {servers.hubspot_url}\n"
          f"token:                            {servers.token}\n"
          f"CA file (trust this):             {servers.ca_file}\n"
          f"world clock:                      {servers.clock}\n"
          f"try: curl --cacert {servers.ca_file} -H 'Authorization: Bearer {servers.token}' "
          f"'{servers.salesforce_url}/services/data/v59.0/query/?q=SELECT+Id,Email+FROM+Lead+LIMIT+5'\n"
          f"     curl -H 'Authorization: Bearer {servers.token}' "
          f"'{servers.hubspot_url}/crm/v3/objects/contacts?limit=5&properties=email,lifecyclestage'\n"
          "Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        servers.stop()
    return 0


def build(parser: argparse.ArgumentParser) -> None:
    """Add generate/serve/advance under `parser`."""
    sub = parser.add_subparsers(dest="sandbox_command", required=True)
    wanted = load_sandbox_settings()
    gen = sub.add_parser("generate", help="write a deterministic synthetic CRM world to a folder")
    gen.add_argument("--seed", type=int, default=wanted.seed)
    gen.add_argument("--people", type=int, default=wanted.people)
    gen.add_argument("--out", type=Path, default=sandbox_dataset_dir())
    gen.add_argument("--mess", default="default", help="clean | default | heavy | a multiplier such as 2.5")
    gen.add_argument("--clock", default=None,
                     help="snapshot the world at this ISO instant instead of 2026-01-01T00:00:00Z")
    gen.set_defaults(func=_generate)

    srv = sub.add_parser("serve", help="serve a dataset through the Salesforce and HubSpot emulators")
    srv.add_argument("--dataset", type=Path, default=sandbox_dataset_dir())
    srv.add_argument("--salesforce-port", type=int, default=0, help="0 = any free port")
    srv.add_argument("--hubspot-port", type=int, default=0, help="0 = any free port")
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0 in a container)")
    srv.add_argument("--public-host", default=None,
                     help="host name clients use (printed URLs, TLS certificate), e.g. the compose service name")
    srv.add_argument("--token", default=None, help="bearer token to accept (default $SANDBOX_TOKEN or sandbox-token)")
    srv.add_argument("--tls-dir", type=Path, default=None, help="where the CA/cert go (default <dataset>/.tls)")
    srv.add_argument("--fault-rate", type=float, default=0.0, help="share of requests answered 429/500/503")
    srv.add_argument("--latency-ms", type=float, default=0.0)
    srv.add_argument("--drop-rate", type=float, default=0.0, help="share of responses cut off mid-body")
    srv.add_argument("--rate-limit", type=int, default=None, help="HubSpot requests per rolling 10 s")
    srv.add_argument("--sf-daily-limit", type=int, default=1_000_000, help="Salesforce DailyApiRequests Max")
    srv.add_argument("--locator-ttl", type=float, default=None, help="seconds before query locators expire")
    srv.add_argument("--fault-seed", type=int, default=0)
    srv.set_defaults(func=_serve)

    adv = sub.add_parser("advance", help="continue a generated world by N days (moves its clock)")
    adv.add_argument("--dataset", type=Path, default=sandbox_dataset_dir())
    adv.add_argument("--days", type=float, required=True)
    adv.set_defaults(func=_advance)


def register(subparsers: argparse._SubParsersAction) -> None:
    build(subparsers.add_parser("sandbox", help="synthetic CRM world and Salesforce/HubSpot emulators"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    build(parser)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as e:
        print(f"sandbox: {e}", file=sys.stderr)
        return 2
