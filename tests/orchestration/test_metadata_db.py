"""`make run` migrates the project's Airflow metadata DB once per Airflow version (metadata_db.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from funnelhouse.orchestration import metadata_db
from tests.support.airflow import airflow_base_env


def _tables(home: Path) -> set[str]:
    with sqlite3.connect(home / "airflow.db") as db:
        return {name for (name,) in db.execute("select name from sqlite_master where type = 'table'")}


def test_migrates_once_per_version_and_again_when_the_db_or_version_changes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = airflow_base_env(home, tmp_path / "manifest")

    first = metadata_db.start(env)
    assert first.process is not None and first.wait()
    assert {"dag_run", "task_instance", "xcom", "alembic_version"} <= _tables(home)
    assert (home / metadata_db.STAMP).read_text().startswith("apache-airflow 3.")

    assert metadata_db.start(env).process is None, "current schema: no second migration"

    (home / metadata_db.STAMP).write_text("apache-airflow 2.10.5\n")  # an older Airflow migrated it
    again = metadata_db.start(env)
    assert again.process is not None and again.wait()
    assert metadata_db.is_current(env)

    (home / "airflow.db").unlink()
    assert not metadata_db.is_current(env), "a deleted DB is migrated again, whatever the stamp says"
    # someone else's database (a DSN): never trusted to a stamp in this home
    assert not metadata_db.is_current({**env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://x/y"})


def test_a_failed_migration_leaves_no_stamp(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = airflow_base_env(home, tmp_path / "manifest", AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:////nonexistent/dir/x.db")
    failed = metadata_db.start(env)
    assert failed.process is not None and failed.wait() is False
    assert not (home / metadata_db.STAMP).exists()
