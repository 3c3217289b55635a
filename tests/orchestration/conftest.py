"""Fixtures for the orchestration tests: a dbt manifest shared by every test that parses the DAGs
(rendering it once costs a `dbt parse`). The Airflow harness itself is tests/support/airflow.py."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def manifest_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dbt_manifest")
