from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.quality_warehouse import build_clean_warehouse

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session")
def clean_template(make_database: Callable[..., str]) -> str:
    """The clean warehouse, built once; tests get copies of it."""
    dsn = make_database("quality_clean")
    build_clean_warehouse(dsn)
    return dsn


@pytest.fixture
def clean_dsn(make_database: Callable[..., str], clean_template: str) -> str:
    """A fresh database holding a clean contract-shaped warehouse (every suite passes on it)."""
    return make_database("quality", template=clean_template)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"
