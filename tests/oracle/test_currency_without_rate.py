"""A record in a currency the org has no rate for (METRICS "Money"): never dropped, never summed raw, a
critical failure that names the currency, in dbt and in GX.

The heavy world is a multi-currency org (USD corporate, EUR/GBP records, CurrencyType and
DatedConversionRate extracted). On a copy of its extracted warehouse, one Salesforce opportunity is moved
to CHF and one HubSpot deal to JPY without `amount_in_home_currency` — currencies with no rate anywhere
(no CurrencyType row, no dated rate, no var exchange_rates). Then `dbt build +win_rates` must:
- keep both records in fct_opportunities with their amount and a null amount_corporate (the row count
  equals the untouched world's build);
- fail the test converted_to_corporate_currency with one row per currency, which names it;
- skip the money marts downstream (win_rates is not built from raw amounts);
and the GX marts suite fails its critical Money expectation with a sample naming CHF and JPY."""

from __future__ import annotations

import sys

import psycopg
import pytest

from funnelhouse.core.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from expectations.results import describe_failure  # noqa: E402
from expectations.runner import validate  # noqa: E402
from funnelhouse.dbt import run_dbt  # noqa: E402
from tests.support.warehouse import fetch  # noqa: E402
from tests.support.worlds import world_clock  # noqa: E402

WORLD = (5, 700, "heavy")


@pytest.fixture(scope="module")
def no_rate(worlds, tmp_path_factory):
    """(dsn, ids, dbt result) of the heavy world with one CHF opportunity and one JPY deal, built."""
    dsn = worlds.copy(worlds.extracted(*WORLD), "no_rate")
    with psycopg.connect(dsn) as conn:
        sf_id = conn.execute("""
            select distinct on (id) id from raw_salesforce.opportunity
            where (record->>'Amount')::numeric > 0 and not is_deleted
            order by id, source_updated_at desc limit 1""").fetchone()[0]
        conn.execute("""
            update raw_salesforce.opportunity set record = jsonb_set(record, '{CurrencyIsoCode}', '"CHF"')
            where id = %s""", (sf_id,))
        hs_id = conn.execute("""
            select distinct on (id) id from raw_hubspot.deals
            where (record->'properties'->>'amount')::numeric > 0 and not is_deleted
            order by id, source_updated_at desc limit 1""").fetchone()[0]
        conn.execute("""
            update raw_hubspot.deals set record = jsonb_set(record #- '{properties,amount_in_home_currency}',
                                                            '{properties,deal_currency_code}', '"JPY"')
            where id = %s""", (hs_id,))
        rates = conn.execute("""select count(*) from raw_salesforce.currency_type
                                where record->>'IsoCode' in ('CHF', 'JPY')""").fetchone()[0]
    assert rates == 0, "the world must not have a CHF or JPY rate for this test to mean anything"
    target = tmp_path_factory.mktemp("no_rate") / "target"
    result = run_dbt(["build", "--exclude", "resource_type:unit_test", "--select", "+win_rates"], dsn,
                     vars={"as_of": world_clock(worlds.dataset(*WORLD))}, target_dir=target)
    return dsn, sf_id, hs_id, result, target


def test_the_records_are_kept_with_their_amount_and_no_converted_amount(no_rate, worlds):
    dsn, sf_id, hs_id, _, _ = no_rate
    rows = {r["source_id"]: r for r in fetch(dsn, """
        select source_id, currency, amount, amount_corporate from marts.fct_opportunities
        where source_id in (%s, %s)""", (sf_id, hs_id))}
    assert rows.keys() == {sf_id, hs_id}, rows
    assert rows[sf_id]["currency"] == "CHF" and rows[hs_id]["currency"] == "JPY"
    assert all(r["amount"] > 0 and r["amount_corporate"] is None for r in rows.values()), rows
    untouched = worlds.built(*WORLD)
    count = "select count(*) as n from marts.fct_opportunities"
    assert fetch(dsn, count)[0]["n"] == untouched.fetch(count)[0]["n"]


def test_dbt_fails_the_money_test_naming_each_currency(no_rate):
    dsn, _, _, result, target = no_rate
    assert not result.success
    failed = [r for r in result.results if r["status"] == "fail"]
    assert [r["unique_id"].split(".")[2].startswith("converted_to_corporate_currency") for r in failed] == [True], \
        [(r["unique_id"], r["message"]) for r in result.failures]
    assert failed[0]["failures"] == 2  # one row per currency without a rate
    # the failing rows are what dbt's own compiled test query selects: one per currency, naming it
    compiled = list((target / "compiled").rglob("converted_to_corporate_curren*.sql"))
    assert len(compiled) == 1, compiled
    rows = fetch(dsn, compiled[0].read_text().replace("%", "%%"))
    assert sorted((r["currency_without_rate"], r["records"]) for r in rows) == [("CHF", 1), ("JPY", 1)]


def test_the_money_marts_downstream_are_not_built_from_raw_amounts(no_rate):
    _, _, _, result, _ = no_rate
    status = {r["unique_id"].rsplit(".", 1)[-1]: r["status"] for r in result.results
              if r["unique_id"].startswith("model.")}
    assert status["fct_opportunities"] == "success"
    assert status["win_rates"] == "skipped"


def test_gx_fails_the_critical_money_expectation_naming_the_currencies(no_rate, tmp_path):
    dsn, _, _, _, _ = no_rate
    summary = validate(dsn, "marts", suites=["marts_sales"], state_dir=tmp_path, data_docs=False)
    failures = [(t, e) for t, e in summary.critical_failures if t.asset.endswith("fct_opportunities")]
    assert len(failures) == 1, [describe_failure(t, e) for t, e in summary.critical_failures]
    text = describe_failure(*failures[0])
    assert "corporate currency" in text and "currency=CHF" in text and "currency=JPY" in text, text
