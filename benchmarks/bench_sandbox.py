"""Sandbox figures: records/s served by each emulator's REST paging (through the real clients and raw HTTP),
and generator time + peak memory for 100k people (1M with --million).

    python benchmarks/bench_sandbox.py [--people-serve 20000] [--million]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _generate_in_child(people: int, out: Path) -> tuple[float, float, float]:
    """Generate in a fresh process so its peak RSS is the generator's own."""
    code = ("import resource, sys, time; from sandbox.world import generate; t = time.monotonic(); "
            f"generate(42, {people}, {str(out)!r}); "
            "r = resource.getrusage(resource.RUSAGE_SELF); "
            "print(time.monotonic() - t, r.ru_maxrss, r.ru_utime + r.ru_stime)")
    out_text = subprocess.check_output([sys.executable, "-c", code], cwd=ROOT, text=True)
    seconds, rss_kb, cpu = out_text.split()
    return float(seconds), float(rss_kb) / 1024, float(cpu)


def bench_generator(people: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        seconds, peak_mb, cpu = _generate_in_child(people, Path(tmp) / "w")
        meta = json.loads((Path(tmp) / "w" / "world.json").read_text())
        records = sum(v for k, v in meta["counts"].items() if not k.startswith("truth/"))
        size = sum(p.stat().st_size for p in (Path(tmp) / "w").rglob("*") if p.is_file()) / 1e6
    print(f"generate {people:>9,} people: {seconds:7.1f} s wall ({cpu:.1f} s CPU incl. imports), peak RSS "
          f"{peak_mb:5.0f} MB, {records:,} records, {size:,.0f} MB on disk, {records / seconds:,.0f} records/s")


def bench_servers(people: int) -> None:
    import requests
    from hubspot import HubSpot
    from simple_salesforce import Salesforce

    from sandbox.server import start_sandbox
    from sandbox.world import generate

    with tempfile.TemporaryDirectory() as tmp:
        world = generate(42, people, Path(tmp) / "w")
        with start_sandbox(world, tls_dir=Path(tmp) / "tls") as srv:
            s = requests.Session()
            s.verify = str(srv.ca_file)
            s.trust_env = False
            sf = Salesforce(instance_url=srv.salesforce_url, session_id=srv.token, session=s)
            for obj, fields in (("Task", "Id, WhoId, WhatId, Subject, TaskSubtype, Status, ActivityDate, "
                                 "CallDurationInSeconds, OwnerId, CreatedDate, SystemModstamp"),
                                ("CampaignMember", "Id, CampaignId, LeadId, ContactId, Status, HasResponded, "
                                 "FirstRespondedDate, CreatedDate, SystemModstamp")):
                t = time.monotonic()
                n = sum(1 for _ in sf.query_all_iter(f"SELECT {fields} FROM {obj}"))
                dt = time.monotonic() - t
                print(f"salesforce query_all_iter {obj:<15} {n:>8,} records in {dt:5.2f} s = {n / dt:>9,.0f} records/s "
                      "(real simple-salesforce, TLS, 2000/page)")
            t = time.monotonic()
            pages = sf.bulk2.Task.query("SELECT Id, WhoId, Subject, CreatedDate FROM Task", max_records=50000,
                                        wait=0.05)
            n = sum(page.count("\n") - 1 for page in pages)
            dt = time.monotonic() - t
            print(f"salesforce bulk2 Task                {n:>8,} records in {dt:5.2f} s = {n / dt:>9,.0f} records/s")
            raw_sf = requests.Session()
            raw_sf.verify = str(srv.ca_file)
            raw_sf.trust_env = False
            raw_sf.headers["Authorization"] = f"Bearer {srv.token}"
            t, n = time.monotonic(), 0
            url = f"{srv.salesforce_url}/services/data/v59.0/query/?q=SELECT+Id,WhoId,WhatId,Subject,Status," \
                  "ActivityDate,OwnerId,CreatedDate,SystemModstamp+FROM+Task"
            while url:
                page = raw_sf.get(url).json()
                n += len(page["records"])
                url = None if page["done"] else srv.salesforce_url + page["nextRecordsUrl"]
            dt = time.monotonic() - t
            print(f"salesforce raw GET query Task        {n:>8,} records in {dt:5.2f} s = {n / dt:>9,.0f} records/s "
                  "(requests over TLS, 2000/page: the emulator's own speed)")
            hs = HubSpot(access_token=srv.token, host=srv.hubspot_url)
            t, n, after = time.monotonic(), 0, None
            while True:
                kw = {"limit": 100, "properties": ["email", "lifecyclestage", "createdate"], "_preload_content": False}
                if after:
                    kw["after"] = after
                page = json.loads(hs.crm.objects.basic_api.get_page("contacts", **kw).data)
                n += len(page["results"])
                after = page.get("paging", {}).get("next", {}).get("after")
                if not after:
                    break
            dt = time.monotonic() - t
            print(f"hubspot get_page(_preload_content=False) {n:>6,} records in {dt:5.2f} s = {n / dt:>9,.0f} "
                  "records/s (real client, raw JSON as the extractors read it)")
            for otype, props in (("contacts", ["email", "lifecyclestage", "hs_analytics_source", "createdate"]),
                                 ("emails", ["hs_timestamp", "hs_email_open_count", "hubspot_owner_id"])):
                t = time.monotonic()
                n = len(hs.crm.objects.get_all(otype, properties=props))
                dt = time.monotonic() - t
                print(f"hubspot get_all {otype:<20} {n:>8,} records in {dt:5.2f} s = {n / dt:>9,.0f} records/s "
                      "(real hubspot-api-client, 100/page)")
            raw = requests.Session()
            raw.trust_env = False
            raw.headers["Authorization"] = f"Bearer {srv.token}"
            t, n, after = time.monotonic(), 0, None
            while True:
                params = {"limit": 100, "properties": "email,lifecyclestage,createdate"}
                if after:
                    params["after"] = after
                page = raw.get(f"{srv.hubspot_url}/crm/v3/objects/contacts", params=params).json()
                n += len(page["results"])
                after = page.get("paging", {}).get("next", {}).get("after")
                if not after:
                    break
            dt = time.monotonic() - t
            print(f"hubspot raw GET contacts             {n:>8,} records in {dt:5.2f} s = {n / dt:>9,.0f} records/s "
                  "(requests, 100/page: the emulator's own speed)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people-serve", type=int, default=20000)
    ap.add_argument("--million", action="store_true", help="also generate 1,000,000 people (several minutes)")
    ap.add_argument("--skip-100k", action="store_true")
    ap.add_argument("--serve-only", action="store_true", help="only the emulator figures")
    args = ap.parse_args()
    # generator first: a child's peak RSS starts from its parent's, so measure while this process is small
    if not args.serve_only:
        bench_generator(5_000)
        if not args.skip_100k:
            bench_generator(100_000)
        if args.million:
            bench_generator(1_000_000)
    bench_servers(args.people_serve)
    print(f"(benchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
