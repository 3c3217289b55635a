from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from quality_fixture import build_clean_warehouse

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@pytest.fixture
def clean_dsn(make_database: Callable[[str], str]) -> str:
    """A fresh database holding a clean contract-shaped warehouse (every suite passes on it)."""
    dsn = make_database("quality")
    build_clean_warehouse(dsn)
    return dsn


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"
