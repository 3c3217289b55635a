"""The weights seed's validity test rejects what the credit model cannot use: an empty weight cell of a
position model (which would otherwise make the weight sum null and pass), a negative weight, weights
that do not sum to 1."""

from __future__ import annotations

import psycopg
import pytest

from funnelhouse.dbt import run_dbt

BREAKAGES = {
    "empty weight": "update seeds.attribution_model_weights set lc_weight = null where model = 'u_shaped'",
    "negative weight": "update seeds.attribution_model_weights set ft_weight = -0.1, lc_weight = 0.9"
                       " where model = 'u_shaped'",
    "sum not 1": "update seeds.attribution_model_weights set middle_weight = 0.3 where model = 'w_shaped'",
}


def _validity(dsn: str, target) -> list[dict]:
    result = run_dbt(["test", "--select", "attribution_model_weights,test_name:attribution_weights_valid"],
                     dsn, target_dir=target)
    assert len(result.results) == 1, result.results
    return result.results


@pytest.fixture(scope="module")
def seeded(make_database, tmp_path_factory):
    dsn = make_database("attr_weights_validity")
    target = tmp_path_factory.mktemp("weights") / "target"
    result = run_dbt(["seed", "--select", "attribution_model_weights"], dsn, target_dir=target)
    assert result.success, result.failures
    return dsn, target


def test_the_shipped_seed_is_valid(seeded):
    dsn, target = seeded
    assert _validity(dsn, target)[0]["status"] == "pass"


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_unusable_weights_fail(seeded, breakage):
    dsn, target = seeded
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(BREAKAGES[breakage])
    try:
        (outcome,) = _validity(dsn, target)
        assert outcome["status"] == "fail" and outcome["failures"] == 1, outcome
    finally:
        run_dbt(["seed", "--select", "attribution_model_weights", "--full-refresh"], dsn, target_dir=target)
