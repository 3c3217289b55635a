"""`airflow db migrate` for the project-local Airflow home, paid once per Airflow version.

`make run` used to migrate before every DAG run: a fresh interpreter importing Airflow and checking
every migration, about 3 s of each run for nothing once the schema is current. A stamp beside the
SQLite file records the Airflow version that migrated it; the migration runs again when the version
changes, the file is gone, or the metadata DB is not the home's SQLite file (AIRFLOW__DATABASE__
SQL_ALCHEMY_CONN set: someone else's database, always migrated). `start` runs it in the background so
it overlaps the warehouse start, the sandbox world and the dbt manifest of a first run.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

STAMP = ".funnelhouse-migrated"


def _stamp_text(env: dict[str, str]) -> str | None:
    """What the stamp says when the home's SQLite DB is current; None when it cannot say."""
    if env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        return None
    return f"apache-airflow {version('apache-airflow')}\n"


def is_current(env: dict[str, str]) -> bool:
    home = Path(env["AIRFLOW_HOME"])
    stamp = _stamp_text(env)
    return (stamp is not None and (home / "airflow.db").exists() and (home / STAMP).exists()
            and (home / STAMP).read_text() == stamp)


@dataclass
class Migration:
    env: dict[str, str]
    process: subprocess.Popen | None  # None: already current

    def wait(self) -> bool:
        """True when the schema is current (migrated now or before); waits for the migration once."""
        if self.process is None:
            return True
        if self.process.returncode is None:
            ok = self.process.wait() == 0
            stamp = _stamp_text(self.env)
            if ok and stamp is not None:
                (Path(self.env["AIRFLOW_HOME"]) / STAMP).write_text(stamp)
        return self.process.returncode == 0


def start(env: dict[str, str]) -> Migration:
    """Start `airflow db migrate` unless the stamp says the schema is current."""
    if is_current(env):
        return Migration(env, None)
    airflow = str(Path(sys.executable).parent / "airflow")
    process = subprocess.Popen([airflow, "db", "migrate"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    return Migration(env, process)
