"""Real GX validations on real PostgreSQL: clean data passes, planted defects are caught with the
right severity and the offending row ids, critical failures raise, warnings do not."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from expectations.runner import (
    NOT_BUILT,
    CriticalExpectationFailed,
    ValidationSummary,
    raise_for_critical,
    validate,
)
from funnelhouse.core.raw import tables


def _failed(summary: ValidationSummary, asset: str, expectation_type: str) -> list:
    return [r for o in summary.outcomes if o.asset == asset for r in o.results
            if r.expectation_type == expectation_type and not r.success]


def _sample_values(result, key: str) -> set:
    return {row.get(key) for row in result.unexpected_sample}


def test_every_suite_passes_on_clean_data(clean_dsn: str, state_dir: Path) -> None:
    summary = validate(clean_dsn, "all", state_dir=state_dir)
    problems = [f"{o.asset}: {r.expectation_type} {r.column} {r.observed_value} {r.exception}"
                for o in summary.outcomes for r in o.results if not r.success]
    assert problems == []
    assert summary.success and not summary.not_built
    layers = {o.layer for o in summary.outcomes}
    assert layers == {"raw", "staging", "marts"}
    # every suite ran, on every raw table of the contract
    assert {o.suite for o in summary.outcomes} >= {"raw_salesforce", "raw_hubspot", "raw_meta_sync_health",
                                                    "staging_stg_salesforce__leads", "marts_funnel_conversion",
                                                    "marts_attribution_campaign"}
    assert len([o for o in summary.outcomes if o.suite == "raw_salesforce"]) == len(tables("salesforce")) == 17
    assert summary.evaluated > 300
    raise_for_critical(summary)  # does not raise


def test_duplicated_raw_version_is_critical_with_ids(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("alter table raw_salesforce.lead drop constraint lead_pkey")
        conn.execute("insert into raw_salesforce.lead select * from raw_salesforce.lead where id = 'LEA3' "
                     "and source_updated_at = '2026-01-02T03:04:05Z'")
    summary = validate(clean_dsn, "raw", state_dir=state_dir, data_docs=False)
    [dup] = _failed(summary, "raw_salesforce.lead", "expect_compound_columns_to_be_unique")
    assert dup.severity == "critical"
    assert dup.unexpected_count == 2
    assert _sample_values(dup, "id") == {"LEA3"}
    assert not summary.success
    # nothing else in the raw layer is affected
    assert len(summary.critical_failures) == 1


def test_future_timestamp_is_critical_with_ids(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("""insert into raw_hubspot.deals values ('DEAL-FUTURE', now() + interval '2 days',
                        '{"createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2099-01-01T00:00:00Z"}',
                        false, now(), 'b2')""")
    summary = validate(clean_dsn, "raw", state_dir=state_dir, data_docs=False)
    failed = _failed(summary, "raw_hubspot.deals", "unexpected_rows_expectation")
    assert len(failed) == 2  # the version timestamp and the record's updatedAt
    for result in failed:
        assert result.severity == "critical"
        assert result.unexpected_count == 1
        assert _sample_values(result, "id") == {"DEAL-FUTURE"}


def test_unparseable_record_timestamp_is_caught(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("""insert into raw_salesforce.contact values ('CON-BAD', '2026-01-05',
                        '{"CreatedDate": "yesterday-ish"}', false, now(), 'b2')""")
    summary = validate(clean_dsn, "raw", suites=["raw_salesforce"], state_dir=state_dir, data_docs=False)
    [bad] = _failed(summary, "raw_salesforce.contact", "unexpected_rows_expectation")
    assert "parse" in bad.description
    assert _sample_values(bad, "id") == {"CON-BAD"}


def test_stage_value_missing_from_mapping_is_critical_with_ids(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("update staging.stg_salesforce__leads set status = 'Recycled' where lead_id = 'lead_id-2'")
    summary = validate(clean_dsn, "staging", state_dir=state_dir, data_docs=False)
    [missing] = _failed(summary, "staging.stg_salesforce__leads", "unexpected_rows_expectation")
    assert missing.severity == "critical"
    assert "funnel_stage_mapping" in missing.description
    assert missing.unexpected_sample == [{"lead_id": "lead_id-2", "status": "Recycled"}]
    assert len(summary.critical_failures) == 1


def test_mart_rate_above_one_is_critical_with_ids(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("update marts.funnel_conversion set conversion_rate = 1.5, converted_count = 6 "
                     "where campaign_id = 'c2'")
    summary = validate(clean_dsn, "marts", suites=["marts_funnel"], state_dir=state_dir, data_docs=False)
    [rate] = _failed(summary, "marts.funnel_conversion", "expect_column_values_to_be_between")
    assert rate.severity == "critical" and rate.column == "conversion_rate"
    assert rate.unexpected_count == 1
    assert _sample_values(rate, "campaign_id") == {"c2"}
    # converted > cohort is caught too (funnel counts not increasing within a cohort)
    [more] = [r for r in _failed(summary, "marts.funnel_conversion", "unexpected_rows_expectation")
              if "no more than the cohort" in r.description]
    assert _sample_values(more, "campaign_id") == {"c2"}


def test_attribution_credit_not_summing_to_one_is_critical(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("update marts.attribution_touchpoint_credit set credit = 0.7 "
                     "where opportunity_id = 'o2' and touchpoint_id = 't1' and model = 'w_shaped'")
    summary = validate(clean_dsn, "marts", suites=["marts_attribution"], state_dir=state_dir, data_docs=False)
    [credit] = _failed(summary, "marts.attribution_touchpoint_credit", "unexpected_rows_expectation")
    assert credit.severity == "critical"
    assert credit.unexpected_count == 1
    assert credit.unexpected_sample[0]["opportunity_id"] == "o2"
    assert credit.unexpected_sample[0]["model"] == "w_shaped"
    with pytest.raises(CriticalExpectationFailed) as caught:
        raise_for_critical(summary)
    message = str(caught.value)
    assert "marts_attribution_touchpoint_credit" in message
    assert "credits sum to 1 per opportunity and model" in message
    assert "opportunity_id=o2" in message and "model=w_shaped" in message


def test_attributed_revenue_not_reconciling_is_critical(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("update marts.fct_opportunities set is_won = true, is_closed = true "
                     "where opportunity_id = 'o3'")
    summary = validate(clean_dsn, "marts", suites=["marts_attribution"], state_dir=state_dir, data_docs=False)
    [rec] = _failed(summary, "marts.attribution_campaign", "unexpected_rows_expectation")
    assert rec.severity == "critical"
    assert {row["model"] for row in rec.unexpected_sample} == {"linear", "w_shaped"}
    assert float(rec.unexpected_sample[0]["won_revenue"]) == 400.0


def test_critical_failure_in_raw_raises_with_readable_message(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute('update raw_salesforce."user" set _batch_id = null where false')  # not-null: no-op
        conn.execute('alter table raw_salesforce."user" alter column _batch_id drop not null')
        conn.execute("""update raw_salesforce."user" set _batch_id = null where id = 'USE2'""")
    summary = validate(clean_dsn, "raw", state_dir=state_dir, data_docs=False)
    with pytest.raises(CriticalExpectationFailed) as caught:
        raise_for_critical(summary)
    message = str(caught.value)
    assert "suite raw_salesforce on raw_salesforce.user" in message
    assert "expect_column_values_to_not_be_null column _batch_id" in message
    assert "id=USE2" in message
    assert caught.value.summary is summary


def test_warning_is_reported_but_does_not_fail(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("update staging.stg_hubspot__contacts set email = 'not-an-email' "
                     "where contact_id = 'contact_id-3'")
    summary = validate(clean_dsn, "staging", state_dir=state_dir, data_docs=False)
    [email] = _failed(summary, "staging.stg_hubspot__contacts", "expect_column_values_to_match_regex")
    assert email.severity == "warning"
    assert _sample_values(email, "contact_id") == {"contact_id-3"}
    assert summary.success and summary.warnings and not summary.critical_failures
    raise_for_critical(summary)  # warnings never raise


def test_row_count_drop_against_previous_run_is_a_warning(clean_dsn: str, state_dir: Path) -> None:
    first = validate(clean_dsn, "marts", suites=["marts_sales"], state_dir=state_dir, data_docs=False)
    assert first.success and not first.warnings
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("delete from marts.sales_activity where activity_type <> 'call'")
    second = validate(clean_dsn, "marts", suites=["marts_sales"], state_dir=state_dir, data_docs=False)
    [drop] = _failed(second, "marts.sales_activity", "expect_table_row_count_to_be_between")
    assert drop.severity == "warning" and drop.observed_value == 1
    assert second.success


def test_missing_table_is_a_not_built_warning(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("drop table marts.clv_cohorts")
        conn.execute("drop table raw_hubspot.contact_merges")
    summary = validate(clean_dsn, "all", state_dir=state_dir, data_docs=False)
    assert sorted(summary.not_built) == ["marts.clv_cohorts", "raw_hubspot.contact_merges"]
    skipped = [r for o in summary.outcomes if o.status == "not_built" for r in o.results]
    assert {(r.expectation_type, r.severity, r.success) for r in skipped} == {(NOT_BUILT, "warning", False)}
    assert summary.success


def test_missing_column_fails_loudly(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("alter table marts.win_rates drop column amount_win_rate")
    summary = validate(clean_dsn, "marts", suites=["marts_win_rates"], state_dir=state_dir, data_docs=False)
    failed = [r for _, r in summary.critical_failures]
    assert failed and all(r.column == "amount_win_rate" for r in failed)
    assert failed[0].exception


def test_settings_and_several_layers(clean_dsn: str, state_dir: Path) -> None:
    from funnelhouse.core.settings import Secret, Settings

    settings = Settings(state_dir=state_dir, warehouse_dsn=Secret(clean_dsn))
    summary = validate(settings, "staging,marts", suites=["intermediate", "marts_value"], data_docs=False)
    assert {o.layer for o in summary.outcomes} == {"staging", "marts"}
    assert {o.group for o in summary.outcomes} == {"intermediate", "marts_value"}
    assert "-staging+marts-" in summary.run_id and summary.success
    assert (state_dir / "quality" / "runs" / summary.run_id / "gx" / "great_expectations.yml").is_file()
    with pytest.raises(ValueError, match="unknown layer 'mart'"):
        validate(settings, "mart")
    with pytest.raises(ValueError, match="unknown suite or group nope"):
        validate(settings, "marts", suites=["nope"])


def test_tables_without_a_suite_still_get_the_row_count_check(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("create table marts.extra_mart as select g as id from generate_series(1, 10) g")
    first = validate(clean_dsn, "marts", suites=["marts_other_tables"], state_dir=state_dir, data_docs=False)
    assert [(o.suite, o.asset) for o in first.outcomes] == [("marts_other_tables", "marts.extra_mart")]
    assert first.outcomes[0].results[0].observed_value == 10
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("delete from marts.extra_mart where id > 2")
    second = validate(clean_dsn, "marts", suites=["marts_other_tables"], state_dir=state_dir, data_docs=False)
    [drop] = _failed(second, "marts.extra_mart", "expect_table_row_count_to_be_between")
    assert drop.severity == "warning" and drop.observed_value == 2


def test_pipeline_waterfall_identity_broken_is_critical(clean_dsn: str, state_dir: Path) -> None:
    """METRICS §5: opening + created + reopened - won - lost - removed + amount_change = closing on every week."""
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("update marts.pipeline_waterfall set won_amount = won_amount + 1 "
                     "where snapshot_week = date '2026-01-12'")
    summary = validate(clean_dsn, "marts", suites=["marts_history"], state_dir=state_dir, data_docs=False)
    [rec] = _failed(summary, "marts.pipeline_waterfall", "unexpected_rows_expectation")
    assert rec.severity == "critical" and "exactly" in (rec.description or "")
    assert {str(row["snapshot_week"]) for row in rec.unexpected_sample} == {"2026-01-12"}
    with pytest.raises(CriticalExpectationFailed):
        raise_for_critical(summary)


def test_custom_sql_with_a_join_must_alias_its_batch() -> None:
    """GX wraps `{batch}` in an unaliased subquery when the query has a join; PostgreSQL < 16 rejects
    it (the compose stack's Debian PostgreSQL 15 withheld every run on the attribution check)."""
    from expectations.specs import rows

    with pytest.raises(ValueError, match="'per model'.*must alias every"):
        rows("select a.x from (select x from {batch} group by x) a cross join t", "per model")
    assert rows("select a.x from (select x from {batch} as b group by x) a cross join t", "ok")
    assert rows("select x from {batch} where x > 1", "no join: GX aliases it")
