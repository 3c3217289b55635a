"""Attribution benchmark (figures printed, never asserted).

  python benchmarks/bench_attribution.py [--people 100000] [--seed 42] [--repeats 3] [--dsn URL] [--dataset DIR]

Builds a sandbox world of `--people` people (generated, loaded straight into the raw tables, and the
upstream marts built with dbt), then times the attribution build -- `dbt run` of
int_attribution__journeys + attribution_touchpoint_credit, i.e. journeys, milestones and every
model's credits written to the mart -- against the write limit: a `CREATE TABLE AS` in the same
database, in the same run, that writes the same rows (a copy of the mart, no computation). Reported:
both times (best of `--repeats`, alternated), their ratio, rows, touches, journeys; also the compiled
SELECT as a plain CTAS (engine, no dbt bookkeeping), the floor (the same rows with the credits left
constant: journeys read, sorted once, multiplied by the models, written), the copy with its tuples
formed (two columns swapped), the unpivot alone (from a per-touch table holding every model's
credit) and the `analyze` post-hook -- so the figure can be read part by part.

`--synthetic` replaces the sandbox world by upstream facts generated in SQL at the shape the issue
describes (100k people, ~1M touches, 30k opportunities of 1-3 people, so journeys hold ~350k touches
and the mart ~2.4M rows): the sandbox's own 100k world has ~250k touches and short journeys.

`--dsn` uses an existing PostgreSQL database; otherwise an embedded server under
.state/bench/attribution is started (kept, so a second run reuses the built world).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")

from benchmarks.database import bench_database, timed_ctas  # noqa: E402
from funnelhouse.dbt import run_dbt  # noqa: E402
from tests.support.dataset_load import load_dataset, world_clock  # noqa: E402

STATE = ROOT / ".state" / "bench" / "attribution"
ATTRIBUTION = ["int_attribution__journeys", "attribution_touchpoint_credit"]


def prepare(dsn: str, seed: int, people: int, target: Path, dataset: Path | None = None) -> str:
    """World generated and loaded, upstream of the attribution built; returns the world's clock."""
    from sandbox.world import generate

    dataset = dataset or STATE / f"world_{seed}_{people}"
    if not (dataset / "world.json").exists():
        started = time.perf_counter()
        generate(seed, people, dataset)
        print(f"generate world seed {seed}, {people:,} people: {time.perf_counter() - started:.1f}s", flush=True)
    clock = world_clock(dataset)
    with psycopg.connect(dsn) as conn:
        built = conn.execute("select to_regclass('marts.fct_touchpoints') is not null").fetchone()[0]
    if not built:
        started = time.perf_counter()
        load_dataset(dsn, dataset)
        print(f"load raw: {time.perf_counter() - started:.1f}s", flush=True)
        started = time.perf_counter()
        # every seed first: `dbt run` does not build the mapping seeds the upstream models read
        result = run_dbt(["seed"], dsn, target_dir=target)
        assert result.success, result.failures
        result = run_dbt(["run", "--select", "+int_attribution__journeys", "--exclude", "int_attribution__journeys"],
                         dsn, vars={"as_of": clock}, target_dir=target)
        assert result.success, result.failures
        print(f"dbt upstream models: {time.perf_counter() - started:.1f}s", flush=True)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("fct_touchpoints", "fct_opportunities", "fct_opportunity_people", "dim_people"):
            conn.execute(f"analyze marts.{table}")
    return clock


SYNTHETIC = {
    "dim_people": """
        select 'p' || g as person_id, timestamptz '2023-01-01' + (abs(hashint4(g)) % 40000000) * interval '1 second'
            as created_at
        from generate_series(0, {people} - 1) as g""",
    "fct_touchpoints": """
        select 'tp' || g as touchpoint_id, 'p' || (g % {people}) as person_id,
            timestamptz '2023-01-01' + (abs(hashint4(g)) % 63072000) * interval '1 second' as touched_at,
            'c' || (abs(hashint4(g * 7)) % 200) as campaign_id,
            (array['email', 'paid_search', 'organic', 'paid_social', 'event', 'referral'])
                [1 + abs(hashint4(g * 13)) % 6] as channel,
            'salesforce'::text as source_system, 'campaign_member'::text as touch_type
        from generate_series(1, {people} * 10) as g""",
    "fct_opportunities": """
        select 'o' || g as opportunity_id,
            timestamptz '2023-06-01' + (abs(hashint4(g)) % 40000000) * interval '1 second' as created_at,
            null::date as close_date,
            case when g % 3 > 0 then timestamptz '2023-06-01'
                + (abs(hashint4(g)) % 40000000 + 5000000) * interval '1 second' end as closed_at,
            g % 3 > 0 as is_closed, g % 3 = 1 as is_won, (1000 + g % 50000)::numeric as amount
        from generate_series(1, {people} * 3 / 10) as g""",
    "fct_opportunity_people": """
        select 'o' || g as opportunity_id, 'p' || ((g * 3 + k) % {people}) as person_id, 'r'::text as role,
            k = 0 as is_primary
        from generate_series(1, {people} * 3 / 10) as g, generate_series(0, 2) as k
        where k <= g % 3""",
}


def prepare_synthetic(dsn: str, people: int, target: Path) -> str:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create schema if not exists marts")
        for table, select in SYNTHETIC.items():
            if not conn.execute("select to_regclass(%s) is not null", (f"marts.{table}",)).fetchone()[0]:
                conn.execute(f"create table marts.{table} as {select.format(people=people)}")
            conn.execute(f"analyze marts.{table}")
    result = run_dbt(["seed", "--select", "attribution_model_weights"], dsn, target_dir=target)
    assert result.success, result.failures
    return "2025-06-01T00:00:00Z"


def attribution_build(dsn: str, clock: str, target: Path) -> tuple[float, float]:
    started = time.perf_counter()
    result = run_dbt(["run", "--select", *ATTRIBUTION, "--quiet"], dsn, vars={"as_of": clock}, target_dir=target)
    elapsed = time.perf_counter() - started
    assert result.success, result.failures
    # dbt's own timing of the model (excludes dbt start-up and parsing)
    model = next(r for r in result.results if r["unique_id"].endswith(".attribution_touchpoint_credit"))
    return model["execution_time"], elapsed


def engine_sql(dsn: str, target: Path) -> float:
    """The model's compiled SELECT as a plain CREATE TABLE AS (the engine without dbt's bookkeeping)."""
    compiled = next((target / "compiled").rglob("attribution_touchpoint_credit.sql")).read_text()
    return timed_ctas(dsn, "engine", compiled, work_mem="256MB")


# The least any formulation has to do: read the journeys (the view: touches of the opportunities'
# people in their windows), sort each journey once for the positions, write one row per touch and
# model -- with the credit columns left constant. Same rows, same column types as the mart.
FLOOR = """
    select journeys.opportunity_id, journeys.touchpoint_id, journeys.campaign_id, journeys.channel,
        models.model, 0::double precision as credit, 0::double precision as attributed_pipeline,
        0::double precision as attributed_revenue, journeys.person_id, journeys.touched_at,
        journeys.touch_position, journeys.touch_position as touch_count, ''::text as milestones
    from (
        select *, row_number() over (partition by opportunity_id order by touched_at, touchpoint_id collate "C")
            as touch_position
        from intermediate.int_attribution__journeys
    ) as journeys
    cross join seeds.attribution_model_weights as models"""


def floor(dsn: str) -> float:
    """CREATE TABLE AS of FLOOR: the build with the credit computation free."""
    return timed_ctas(dsn, "floor", FLOOR, work_mem="256MB")


def analyze_time(dsn: str) -> float:
    """The `analyze` post-hook that dbt_project.yml gives every mart, alone."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("analyze marts.attribution_touchpoint_credit")
        return time.perf_counter() - started


def write_limit(dsn: str) -> float:
    """A copy of the mart: the same rows written with no computation."""
    return timed_ctas(dsn, "write_limit", "select * from marts.attribution_touchpoint_credit")


def mart_columns(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [name for (name,) in conn.execute(
            "select attname from pg_attribute where attrelid = 'marts.attribution_touchpoint_credit'::regclass"
            " and attnum > 0 and not attisdropped order by attnum")]


def formed_copy(dsn: str) -> float:
    """The copy again with the first two columns swapped: the same bytes, but PostgreSQL has to form
    every tuple instead of handing the scanned one to the writer -- what any SELECT that computes a
    column pays on top of the write limit."""
    columns = mart_columns(dsn)
    columns[0], columns[1] = columns[1], columns[0]
    return timed_ctas(dsn, "formed_copy", f"select {', '.join(columns)} from marts.attribution_touchpoint_credit")


def build_touch_credits(dsn: str) -> None:
    """bench.touch_credits: one row per journey touch holding every model's credit, made from the mart
    (untimed; the input of unpivot_only)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create schema if not exists bench")
        conn.execute("drop table if exists bench.touch_credits")
        conn.execute("""
            create table bench.touch_credits as
            select credit.opportunity_id, credit.touchpoint_id, credit.campaign_id, credit.channel,
                credit.person_id, credit.touched_at, credit.touch_position, credit.touch_count, credit.milestones,
                opportunity.is_won, opportunity.amount::double precision as amount,
                array_agg(credit.model order by credit.model) as models,
                array_agg(credit.credit order by credit.model) as credits
            from marts.attribution_touchpoint_credit as credit
            inner join marts.fct_opportunities as opportunity using (opportunity_id)
            group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11""")
        conn.execute("analyze bench.touch_credits")


def unpivot_only(dsn: str) -> float:
    """The last step alone: from bench.touch_credits, unnest to one row per model and derive pipeline
    and revenue."""
    return timed_ctas(dsn, "unpivot", """
        select opportunity_id, touchpoint_id, campaign_id, channel, model, credit,
            credit * amount as attributed_pipeline,
            case when is_won then credit * amount else 0 end as attributed_revenue,
            person_id, touched_at, touch_position, touch_count, milestones
        from (select *, unnest(models) as model, unnest(credits) as credit from bench.touch_credits) as unpivoted""")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dsn")
    parser.add_argument("--dataset", type=Path, help="an already generated world folder (default: generate one)")
    parser.add_argument("--synthetic", action="store_true", help="upstream facts generated in SQL (~1M touches)")
    args = parser.parse_args()
    STATE.mkdir(parents=True, exist_ok=True)
    target = STATE / "target"
    if args.synthetic:
        dsn = bench_database(args.dsn, STATE, f"bench_attr_synthetic_{args.people}")
        clock = prepare_synthetic(dsn, args.people, target)
    else:
        dsn = bench_database(args.dsn, STATE, f"bench_attr_{args.seed}_{args.people}")
        clock = prepare(dsn, args.seed, args.people, target, args.dataset)

    builds, walls, engines, limits, floors, analyzes, formeds, unpivots = [], [], [], [], [], [], [], []
    for _ in range(args.repeats):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("checkpoint")
        model_time, wall = attribution_build(dsn, clock, target)
        builds.append(model_time)
        walls.append(wall)
        engines.append(engine_sql(dsn, target))
        limits.append(write_limit(dsn))
        floors.append(floor(dsn))
        analyzes.append(analyze_time(dsn))
        formeds.append(formed_copy(dsn))
        if not unpivots:  # every build writes the same mart: its per-touch form is made once
            build_touch_credits(dsn)
        unpivots.append(unpivot_only(dsn))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table bench.touch_credits")
    with psycopg.connect(dsn) as conn:
        rows, journeys = conn.execute("select count(*), count(distinct opportunity_id)"
                                      " from marts.attribution_touchpoint_credit").fetchone()
        touches = conn.execute("select count(*) from marts.fct_touchpoints").fetchone()[0]
        models = conn.execute("select count(*) from seeds.attribution_model_weights").fetchone()[0]
        size = conn.execute("select pg_total_relation_size('marts.attribution_touchpoint_credit')").fetchone()[0]
    best, engine, limit, least = min(builds), min(engines), min(limits), min(floors)
    formed, unpivot = min(formeds), min(unpivots)
    figures = {
        "world": "synthetic" if args.synthetic else f"sandbox seed {args.seed}", "people": args.people,
        "touches": touches, "journeys": journeys, "models": models,
        "credit_rows": rows, "journey_touches": rows // max(models, 1), "mart_bytes": size,
        "attribution_build_s": round(best, 3), "dbt_wall_s": round(min(walls), 3),
        "engine_sql_s": round(engine, 3), "ctas_write_limit_s": round(limit, 3),
        "ratio": round(best / limit, 2), "engine_ratio": round(engine / limit, 2),
        "floor_s": round(least, 3), "floor_ratio": round(least / limit, 2), "analyze_s": round(min(analyzes), 3),
        "formed_copy_s": round(formed, 3), "formed_copy_ratio": round(formed / limit, 2),
        "unpivot_only_s": round(unpivot, 3), "unpivot_only_ratio": round(unpivot / limit, 2),
        "builds_s": [round(x, 3) for x in builds], "engines_s": [round(x, 3) for x in engines],
        "limits_s": [round(x, 3) for x in limits], "floors_s": [round(x, 3) for x in floors],
        "load_average": os.getloadavg()[0],
    }
    print(f"touches {touches:,}, journeys {journeys:,}, journey touches {rows // max(models, 1):,}, "
          f"{models} models -> {rows:,} credit rows ({size / 1e6:.0f} MB)")
    print(f"attribution build {best:.2f}s in dbt (wall incl. dbt start-up {min(walls):.2f}s); the same SELECT as a"
          f" plain CTAS {engine:.2f}s; CTAS write limit {limit:.2f}s -> ratio {best / limit:.2f}"
          f" (engine {engine / limit:.2f}; goal <= 2); load average {os.getloadavg()[0]:.1f}")
    print(f"floor (journeys read, sorted once, multiplied by the models and written, credits constant)"
          f" {least:.2f}s -> ratio {least / limit:.2f}; the analyze post-hook alone {min(analyzes):.2f}s")
    print(f"the copy with tuples formed (columns swapped) {formed:.2f}s -> ratio {formed / limit:.2f}; the unpivot"
          f" alone, from one row per journey touch with every model's credit, {unpivot:.2f}s -> ratio"
          f" {unpivot / limit:.2f}")
    (STATE / "result.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
