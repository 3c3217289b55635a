"""The sandbox world the semantic-layer tests query: its warehouse, dbt target folder and MetricFlow."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import psycopg
from psycopg.rows import dict_row


class World:
    def __init__(self, dsn: str, target: Path, clock: str):
        from funnelhouse.metrics import SemanticLayer

        self.dsn = dsn
        self.target = target
        self.clock = clock
        self.as_of = datetime.fromisoformat(clock.replace("Z", "+00:00"))
        self.layer = SemanticLayer.open(dsn, target)

    def fetch(self, sql: str, params: tuple = ()) -> list[dict]:
        with psycopg.connect(self.dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, params).fetchall()

    def mf(self, metrics: list[str], group_by: list[str]) -> list[dict]:
        return self.layer.query(metrics, group_by)
