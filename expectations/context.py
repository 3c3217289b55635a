"""The GX Data Context of one validation run: a fresh working copy of the committed context
(expectations/gx/) under `<state_dir>/quality/runs/<run_id>/`, so the repository is never written to."""

from __future__ import annotations

import os
import re
import shutil
import uuid
import warnings
from pathlib import Path
from typing import Any

from expectations.specs import Target
from expectations.suites import GX_DIR

DSN_ENV = "FUNNELHOUSE_QUALITY_DSN"
SITE_NAME = "funnelhouse"


def sqlalchemy_url(dsn: str) -> str:
    return re.sub(r"^postgres(ql)?(\+[a-z0-9]+)?://", "postgresql+psycopg2://", dsn)


def connect_gx(dsn: str) -> None:
    """The warehouse URL reaches GX only through the environment (`${…}` in great_expectations.yml),
    so it is never written to a file of the context."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ[DSN_ENV] = sqlalchemy_url(dsn)
    # GX nags about schema_name (we do pass it: one datasource serves every schema) and about the
    # generic SQL datasource (chosen on purpose: it accepts any PostgreSQL URL, sockets included).
    warnings.filterwarnings("ignore", message=".*schema_name. is deprecated.*")
    warnings.filterwarnings("ignore", message=".*generic SQLDatasource.*")


def open_context(work_dir: Path, suite_names: set[str] | None = None, targets: list[Target] = (),
                 site_dir: Path | None = None, schema_map: dict[str, str] | None = None):
    """A fresh working copy of the committed GX context under work_dir, with the suites this run
    uses (all when suite_names is None), so the run's Data Docs list only what it checked; its Data
    Docs site (SITE_NAME) writes into site_dir when given.

    The run's table/query assets are written into the copy's great_expectations.yml in one go:
    adding them one by one through the API rewrites the whole file each time (quadratic; it was
    half of the validation time with 80 tables)."""
    import great_expectations as gx
    import yaml

    if work_dir.exists():
        shutil.rmtree(work_dir)
    shutil.copytree(GX_DIR, work_dir / "gx", ignore=shutil.ignore_patterns("uncommitted", "__pycache__"))
    if suite_names is not None:
        for path in (work_dir / "gx" / "expectations").glob("*.json"):
            if path.stem not in suite_names:
                path.unlink()
    for contract, physical in (schema_map or {}).items():
        # queries inside expectations (e.g. the attribution reconciliation reads marts.fct_opportunities)
        # read the same run's tables as the batch: the shadow when validating the shadow
        pattern = re.compile(rf"(\b(?:from|join)\s+){re.escape(contract)}\.", re.IGNORECASE)
        for path in (work_dir / "gx" / "expectations").glob("*.json"):
            text = path.read_text()
            path.write_text(pattern.sub(lambda m, to=physical: m.group(1) + to + ".", text))
    config_file = work_dir / "gx" / "great_expectations.yml"
    config = yaml.safe_load(config_file.read_text())
    warehouse = config["fluent_datasources"]["warehouse"]
    warehouse.setdefault("id", str(uuid.uuid4()))
    warehouse["assets"] = {t.name: _asset_config(t) for t in targets}
    if site_dir is not None:
        config["data_docs_sites"][SITE_NAME]["store_backend"]["base_directory"] = str(site_dir)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return gx.get_context(mode="file", project_root_dir=str(work_dir))


def _asset_config(target: Target) -> dict[str, Any]:
    asset: dict[str, Any] = {
        "type": "query" if target.query else "table",
        "id": str(uuid.uuid4()),
        "batch_metadata": {},
        "batch_definitions": {"whole_table": {"id": str(uuid.uuid4()), "partitioner": None}},
    }
    if target.query:
        asset["query"] = target.query
    else:
        asset.update(table_name=target.table, schema_name=target.physical_schema or target.schema)
    return asset
