"""The semantic layer (dbt_project/models/semantic): MetricFlow metrics over the marts.

Two ways in, both the real MetricFlow:
* `funnelhouse metrics list|query|validate ...` runs the `mf` CLI (dbt-metricflow) in this process with
  the warehouse's profile variables set, as `funnelhouse dbt` does for dbt; `mf` reads the project's
  `dbt_project/target/semantic_manifest.json`, so a missing or stale one is made first with `dbt parse`;
* `SemanticLayer` (tests, benchmarks) queries MetricFlow's Python engine against a manifest in any
  target folder and returns plain rows.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from funnelhouse.core.warehouse import dsn_parts
from funnelhouse.dbt import DBT_PROJECT_DIR, profile_env, run_dbt

SEMANTIC_MANIFEST = "semantic_manifest.json"


def _set_project_env(dsn: str) -> None:
    """What `mf` and the dbt adapter read: the profile variables and where the project is."""
    os.environ.update(profile_env(dsn))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    os.environ["DBT_PROJECT_DIR"] = str(DBT_PROJECT_DIR)
    os.environ["DBT_PROFILES_DIR"] = str(DBT_PROJECT_DIR)


@dataclass
class SemanticLayer:
    """MetricFlow's engine over one warehouse and one dbt semantic manifest."""

    engine: Any

    @classmethod
    def open(cls, dsn: str, target_dir: Path) -> SemanticLayer:
        """The engine for `target_dir/semantic_manifest.json` (written by any `dbt parse|run|build`)."""
        from dbt.adapters.factory import get_adapter_by_type
        from dbt_metricflow.cli.dbt_connectors.adapter_backed_client import AdapterBackedSqlClient
        from dbt_metricflow.cli.dbt_connectors.dbt_config_accessor import dbtProjectMetadata
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        manifest_path = Path(target_dir) / SEMANTIC_MANIFEST
        if not manifest_path.exists():
            raise FileNotFoundError(f"no semantic manifest at {manifest_path}: run `dbt parse` first")
        _set_project_env(dsn)
        # registers the postgres adapter with this DSN's profile (the way `mf` itself does)
        metadata = dbtProjectMetadata.load_from_paths(profiles_path=DBT_PROJECT_DIR, project_path=DBT_PROJECT_DIR)
        adapter = get_adapter_by_type(metadata.profile.credentials.type)
        manifest = parse_manifest_from_dbt_generated_manifest(manifest_json_string=manifest_path.read_text())
        engine = MetricFlowEngine(semantic_manifest_lookup=SemanticManifestLookup(manifest),
                                  sql_client=AdapterBackedSqlClient(adapter))
        return cls(engine)

    def query(self, metrics: Sequence[str], group_by: Sequence[str] = (), where: Sequence[str] = (),
              order_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Rows of `mf query --metrics ... --group-by ...`, one dict per row keyed by column name."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(metric_names=list(metrics), group_by_names=list(group_by) or None,
                                                where_constraints=list(where) or None,
                                                order_by_names=list(order_by) or None)
        table = self.engine.query(request).result_df
        return [dict(zip(table.column_names, row, strict=True)) for row in table.rows]

    def sql(self, metrics: Sequence[str], group_by: Sequence[str] = ()) -> str:
        """The SQL MetricFlow writes for a query (`mf query --explain`)."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(metric_names=list(metrics), group_by_names=list(group_by) or None)
        return self.engine.explain(request).sql_statement.sql

    def metric_names(self) -> list[str]:
        return sorted(m.name for m in self.engine.list_metrics())


def _manifest_is_current(path: Path, dbname: str) -> bool:
    """Parsed for this database (MetricFlow names tables database-qualified) and after the last edit of
    the project's yml (semantic models live in yml, a stale manifest would answer with old definitions)."""
    if not path.exists():
        return False
    models = json.loads(path.read_text()).get("semantic_models") or [{}]
    if models[0].get("node_relation", {}).get("database") != dbname:
        return False
    newest_yml = max((p.stat().st_mtime for p in (DBT_PROJECT_DIR / "models").rglob("*.yml")), default=0)
    return path.stat().st_mtime >= max(newest_yml, (DBT_PROJECT_DIR / "dbt_project.yml").stat().st_mtime)


def ensure_semantic_manifest(dsn: str, refresh: bool = False) -> Path:
    """dbt_project/target/semantic_manifest.json, where `mf` looks for it, current for this warehouse
    (`dbt parse` writes it when missing, stale or parsed for another database)."""
    path = DBT_PROJECT_DIR / "target" / SEMANTIC_MANIFEST
    if refresh or not _manifest_is_current(path, dsn_parts(dsn)["dbname"]):
        result = run_dbt(["parse", "--quiet"], dsn)
        if not result.success or not path.exists():
            raise RuntimeError(f"dbt parse did not write {path}")
    return path


def run_mf(mf_args: Sequence[str], dsn: str, refresh: bool = False) -> int:
    """`mf <mf_args>` (the dbt-metricflow CLI) on this project and warehouse; its exit status."""
    from dbt_metricflow.cli.main import cli

    ensure_semantic_manifest(dsn, refresh=refresh)
    _set_project_env(dsn)
    try:
        cli.main(args=list(mf_args), prog_name="funnelhouse metrics", standalone_mode=False)
    except SystemExit as exc:  # validate-configs exits 1 on a blocking issue
        return int(exc.code or 0)
    return 0


def _metrics_command(args: argparse.Namespace) -> int:
    from funnelhouse.core.settings import load_settings
    from funnelhouse.core.warehouse import ensure_running

    dsn = ensure_running(load_settings())
    action = {"list": ["list", "metrics"], "query": ["query"], "validate": ["validate-configs"],
              "dimensions": ["list", "dimensions"]}[args.action]
    return run_mf([*action, *args.mf_args], dsn, refresh=args.refresh)


def register(sub: argparse._SubParsersAction) -> None:
    metrics = sub.add_parser(
        "metrics", help="query the semantic layer with MetricFlow (wraps `mf`: list / query / validate)",
        description="Runs MetricFlow's `mf` on the dbt project against the warehouse. Examples: "
                    "`funnelhouse metrics list`; `funnelhouse metrics query --metrics win_rate "
                    "--group-by metric_time__month,opportunity__region`; `funnelhouse metrics validate`.")
    metrics.add_argument("action", choices=["list", "dimensions", "query", "validate"],
                         help="list = mf list metrics, dimensions = mf list dimensions --metrics M, "
                              "query = mf query, validate = mf validate-configs")
    metrics.add_argument("--refresh", action="store_true",
                         help="re-run `dbt parse` first (after editing the semantic yml)")
    metrics.add_argument("mf_args", nargs=argparse.REMAINDER, help="passed on to mf")
    metrics.set_defaults(func=_metrics_command)
