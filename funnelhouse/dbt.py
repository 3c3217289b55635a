"""Run dbt (the real CLI, in-process through dbtRunner) against the warehouse DSN."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from funnelhouse.core.paths import DBT_PROJECT_DIR
from funnelhouse.core.warehouse import dsn_parts


def profile_env(dsn: str) -> dict[str, str]:
    """The FH_PG_* variables dbt_project/profiles.yml reads."""
    parts = dsn_parts(dsn)
    return {
        "FH_PG_HOST": parts["host"],
        "FH_PG_PORT": parts["port"],
        "FH_PG_USER": parts["user"],
        "FH_PG_PASSWORD": parts["password"],
        "FH_PG_DBNAME": parts["dbname"],
    }


@dataclass
class DbtResult:
    success: bool
    args: list[str]
    results: list[dict] = field(default_factory=list)

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.results if r["status"] not in ("success", "pass", "skipped", "no-op")]


def run_dbt(
    args: Sequence[str],
    dsn: str,
    vars: dict | None = None,
    target_dir: Path | None = None,
    project_dir: Path = DBT_PROJECT_DIR,
) -> DbtResult:
    """Invoke `dbt <args>`; the profile comes from the DSN, vars are passed as --vars JSON."""
    from dbt.cli.main import dbtRunner

    os.environ.update(profile_env(dsn))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    full = [*args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    if target_dir is not None:
        full += ["--target-path", str(target_dir)]
    if vars:
        full += ["--vars", json.dumps(vars, default=str)]
    outcome = dbtRunner().invoke(full)
    results = []
    if outcome.result is not None and hasattr(outcome.result, "results"):
        for r in outcome.result.results:
            results.append({
                "unique_id": getattr(r.node, "unique_id", ""),
                "status": str(r.status),
                "execution_time": r.execution_time,
                "message": r.message,
                "failures": getattr(r, "failures", None),
            })
    if outcome.exception is not None:
        raise RuntimeError(f"dbt {' '.join(args)} crashed: {outcome.exception}") from outcome.exception
    return DbtResult(success=bool(outcome.success), args=full, results=results)
