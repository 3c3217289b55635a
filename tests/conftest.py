"""Fixtures shared by the whole test run (the fixture library is tests/support/), and the one place
that puts tests in tiers: everything listed in E2E_MODULES / E2E_TESTS is marked `e2e` and runs in
`make test-e2e`; the rest is the default tier of `make test` (docs/contributing-tests.md)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from funnelhouse.core.warehouse import EmbeddedWarehouse
from tests.support.warehouse import create_database
from tests.support.worlds import WorldCache

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")

TESTS = Path(__file__).parent

# Whole modules in the end-to-end tier: real Airflow runs (`airflow dags test`, standalone, the Celery
# deployment), the compose/Dockerfile checks (they fetch the Compose schema with npm and parse every
# service command with the installed Airflow's CLI parser), the whole pipeline validated by GX
# (extraction, full dbt build, every suite), write-audit-publish killed at 12 points (13 real `funnelhouse
# publish` processes), the incremental oracles (their own worlds, extracted twice and built three
# times), passthrough of a heavy org's formula field across an advance, every real-org knob on a heavy world
# under crashes and SIGKILLs, a currency without a rate through dbt and GX on the heavy world, the
# erasure of a person through the real CLI (heavy world, write-audit-publish rebuild, 140 s), four
# write-audit-publish runs under a bi_reader loop (140 s), and four extract-advance-extract-build worlds:
# references to merged-away deals and companies (seed31 and seed41, ~20 s each), merged-away contacts'
# forms (21 s) and deal contacts (29 s), purged HubSpot deals/companies/line items (37 s). Figures:
# docs/contributing-tests.md.
E2E_MODULES = {
    "orchestration/test_dag_e2e.py",
    "test_secrets_scan.py",
    "orchestration/test_distributed.py",
    "orchestration/test_failure_path.py",
    "orchestration/test_dbt_test_failure.py",
    "orchestration/test_lineage.py",
    "orchestration/test_publish_kill.py",
    "orchestration/test_source_skip.py",
    "orchestration/test_local_airflow.py",
    "orchestration/test_compose.py",
    "quality/test_quality_sandbox_world.py",
    "oracle/funnel_incremental_test.py",
    "extractors/test_heavy_world.py",
    "oracle/test_history_incremental.py",
    "oracle/test_passthrough_heavy.py",
    "oracle/test_currency_without_rate.py",
    "test_erasure.py",
    "orchestration/test_publish_world.py",
    "oracle/test_merged_references.py",
    "oracle/test_merged_contact_forms.py",
    "oracle/test_merged_deal_contacts.py",
    "extractors/test_hubspot_purged.py",
}
# Single tests in the end-to-end tier (module path::test name, every parameter): headless Chromium
# renders, and the 3000-person scoring world.
E2E_TESTS = {
    "orchestration/test_report.py::test_report_renders_in_chromium",
    "quality/test_quality_audit_docs.py::test_data_docs_render_offline_in_headless_chromium",
    "oracle/test_attribution_marketing.py::test_higher_score_bands_convert_better",
    "semantic/test_dbt_conventions.py::test_dbt_docs_site_renders_in_chromium",
}
# The oracle worlds beyond the first: the default tier checks every oracle on world seed11 (one
# extraction and one build shared by the four oracle modules), the e2e tier on the other two.
E2E_WORLDS = {"seed23", "heavy-mess"}


# The compose tier: tests/compose/ (docker compose up of the real deployment, 4.4 min with the images
# cached at stop 34, root + apt) is collected only when the marker expression names it (`make compose-test`:
# pytest -m compose); the default and e2e tiers never see it, so their selections are unchanged.
COMPOSE_DIR = TESTS / "compose"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "compose: docker compose tier (make compose-test); assigned in conftest.py")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path == COMPOSE_DIR or COMPOSE_DIR in collection_path.parents:
        return "compose" not in (config.option.markexpr or "") or None
    return None


def _tier_e2e(item: pytest.Item) -> bool:
    module = Path(str(item.path)).relative_to(TESTS).as_posix()
    name = item.originalname if isinstance(item, pytest.Function) else item.name
    callspec = getattr(item, "callspec", None)
    world = module.startswith("oracle/") and callspec is not None and callspec.id in E2E_WORLDS
    return module in E2E_MODULES or f"{module}::{name}" in E2E_TESTS or world


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if COMPOSE_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.compose)
        elif _tier_e2e(item):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def server_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DSN of the test server's maintenance database (`postgres`)."""
    external = os.environ.get("TEST_WAREHOUSE_DSN")
    if external:
        yield external
        return
    warehouse = EmbeddedWarehouse(tmp_path_factory.mktemp("warehouse"))
    dsn = warehouse.start()
    yield dsn.rsplit("/", 1)[0] + "/postgres"
    warehouse.stop()


@pytest.fixture(scope="session")
def make_database(server_dsn: str) -> Callable[..., str]:
    """Create a database named after the caller (empty, or a copy of `template=<dsn>`); return its DSN."""

    def make(prefix: str = "t", template: str | None = None) -> str:
        return create_database(server_dsn, prefix, template)

    return make


@pytest.fixture(scope="module")
def warehouse_dsn(make_database: Callable[..., str], request: pytest.FixtureRequest) -> str:
    """A fresh, empty database for one test module."""
    return make_database(request.module.__name__.rsplit(".", 1)[-1][:40])


@pytest.fixture(scope="session")
def worlds(make_database: Callable[..., str], tmp_path_factory: pytest.TempPathFactory) -> WorldCache:
    """Sandbox worlds generated, extracted and built once per session, shared by every module."""
    return WorldCache(tmp_path_factory.mktemp("worlds"), make_database)
