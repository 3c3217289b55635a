"""The generator: determinism, time travel, mess profiles, ground-truth invariants."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sandbox.world import advance, generate
from sandbox.world.clock import INITIAL_CLOCK, hs_datetime


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

STAGES = ("lead", "mql", "sql", "opportunity", "customer")


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".tls" not in p.parts}


def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path: Path) -> None:
    a = digest(generate(5, 300, tmp_path / "a"))
    b = digest(generate(5, 300, tmp_path / "b"))
    c = digest(generate(6, 300, tmp_path / "c"))
    assert a == b
    assert a["salesforce/Lead.jsonl"] != c["salesforce/Lead.jsonl"]
    assert {k for k in a} == {k for k in c}


def test_layout_and_formats(world: Path) -> None:
    meta = json.loads((world / "world.json").read_text())
    assert meta["clock"] == "2026-01-01T00:00:00.000Z" and meta["seed"] == 11
    for obj in ("Lead", "Contact", "Account", "Opportunity", "OpportunityHistory", "OpportunityContactRole",
                "OpportunityLineItem", "Product2", "Campaign", "CampaignMember", "LeadHistory", "Task", "Event",
                "User", "UserRole"):
        assert (world / "salesforce" / f"{obj}.jsonl").stat().st_size > 0, obj
    for t in ("contacts", "companies", "deals", "line_items", "calls", "emails", "meetings", "owners",
              "associations", "marketing_events", "marketing_event_participations"):
        assert (world / "hubspot" / f"{t}.jsonl").stat().st_size > 0, t
    lead = read_jsonl(world / "salesforce" / "Lead.jsonl")[0]
    assert len(lead["Id"]) == 18 and lead["Id"].startswith("00Q")
    assert lead["CreatedDate"].endswith(".000+0000") and len(lead["CreatedDate"]) == 28
    contact = read_jsonl(world / "hubspot" / "contacts.jsonl")[0]
    assert all(isinstance(v, str) for v in contact["properties"].values())
    assert contact["createdAt"].endswith("Z")


def test_advance_equals_generating_at_the_later_clock(tmp_path: Path) -> None:
    moved = tmp_path / "moved"
    generate(3, 200, moved)
    before = {r["Id"]: r for r in read_jsonl(moved / "salesforce" / "Lead.jsonl")}
    meta = advance(moved, 10)
    assert meta["clock"] == hs_datetime(INITIAL_CLOCK + 10 * 86400)
    direct = generate(3, 200, tmp_path / "direct", clock=meta["clock"])
    assert digest(moved) == digest(direct)
    after = {r["Id"]: r for r in read_jsonl(moved / "salesforce" / "Lead.jsonl")}
    assert set(before) < set(after), "new people arrive"
    assert any(after[i]["SystemModstamp"] > before[i]["SystemModstamp"] for i in before), "old records change"
    accounts = read_jsonl(moved / "salesforce" / "Account.jsonl")
    assert any(a.get("Partner_Tier__c") for a in accounts), "a new custom field appears after advance"
    assert all("Partner_Tier__c" not in a for a in read_jsonl(generate(3, 200, tmp_path / "x") / "salesforce"
                                                              / "Account.jsonl"))


def test_mess_profiles(tmp_path: Path) -> None:
    clean = generate(9, 500, tmp_path / "clean", mess="clean")
    heavy = generate(9, 500, tmp_path / "heavy", mess="heavy")
    deleted = [sum(r["IsDeleted"] for r in read_jsonl(w / "salesforce" / "Lead.jsonl")) for w in (clean, heavy)]
    assert deleted[0] == 0 and deleted[1] > 10
    assert (clean / "hubspot" / "contact_merges.jsonl").read_text() == ""
    assert (heavy / "hubspot" / "contact_merges.jsonl").read_text() != ""
    emails = [r["Email"] for r in read_jsonl(clean / "salesforce" / "Lead.jsonl")]
    assert all(e == e.strip().lower() for e in emails)


def test_truth_invariants(world: Path) -> None:
    people = read_jsonl(world / "truth" / "people.jsonl")
    assert len(people) > 1000
    for p in people:
        times = [p["stages"][s] for s in STAGES]
        reached = [t for t in times if t]
        assert times[: len(reached)] == reached, "stages are reached in order (back-filled)"
        assert reached == sorted(reached), p["person_key"]
        assert p["stages"]["lead"] and p["current_stage"] == STAGES[len(reached) - 1]
        assert p["person_key"] == p["person_key"].strip().lower()
    both = [p for p in people if p["systems"] == ["hubspot", "salesforce"]]
    assert len(both) > 200
    assert any(p["inferred"]["mql"] for p in people), "skipped stages are inferred"
    customers = [p for p in people if p["stages"]["customer"]]
    assert 5 < len(customers) < len(people) / 3
    touches = read_jsonl(world / "truth" / "touches.jsonl")
    assert {t["touch_type"] for t in touches} == {"campaign_member", "form_conversion", "original_source",
                                                  "marketing_event"}
    keys = {(t["person_key"], t["campaign_id"], t["touched_at"]) for t in touches}
    assert len(keys) == len(touches)
    opps = read_jsonl(world / "truth" / "opportunities.jsonl")
    won = [o for o in opps if o["is_won"]]
    assert won and all(o["closed_at"] for o in won)
    assert all(0 <= o["probability"] <= 1 for o in opps)


def test_cli_generate_advance_and_register(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    import argparse

    from sandbox.cli import main, register

    out = tmp_path / "cli-world"
    assert main(["generate", "--seed", "4", "--people", "200", "--out", str(out), "--mess", "heavy"]) == 0
    assert json.loads((out / "world.json").read_text())["mess"] == "heavy"
    assert main(["advance", "--dataset", str(out), "--days", "3"]) == 0
    assert "clock=2026-01-04T00:00:00.000Z" in capsys.readouterr().out
    assert main(["generate", "--out", str(tmp_path / "bad"), "--mess", "chaos"]) == 2
    parser = argparse.ArgumentParser(prog="funnelhouse")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sandbox", "serve", "--fault-rate", "0.1", "--rate-limit", "50"])
    assert args.fault_rate == 0.1 and args.rate_limit == 50 and callable(args.func)


def test_advance_while_serving(tmp_path: Path) -> None:
    import requests

    from sandbox.server import start_sandbox

    world = generate(8, 300, tmp_path / "live")
    with start_sandbox(world, tls_dir=tmp_path / "tls") as srv:
        s = requests.Session()
        s.trust_env = False
        s.headers["Authorization"] = f"Bearer {srv.token}"
        url = f"{srv.hubspot_url}/crm/v3/objects/contacts/search"
        body = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GT",
                                               "value": str(INITIAL_CLOCK * 1000)}]}]}
        assert s.post(url, json=body).json()["total"] == 0
        advance(world, 5)
        assert srv.reload() == hs_datetime(INITIAL_CLOCK + 5 * 86400)
        assert s.post(url, json=body).json()["total"] > 0


def test_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    outs = []
    for hash_seed in ("1", "4242"):
        out = tmp_path / f"h{hash_seed}"
        code = f"from sandbox.world import generate; generate(21, 250, {str(out)!r}, mess='heavy')"
        subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        outs.append(digest(out))
    assert outs[0] == outs[1]
