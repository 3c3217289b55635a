"""The vocabulary of the suites: severities, tables to validate, suite definitions.

A *suite* is a GX ExpectationSuite. A suite is bound to one or more *targets* (a table, or a named
SQL query for cross-table checks). Suites belong to a *group* (a table group such as
`marts_funnel`) and a *layer* (`raw`, `staging`, `marts`) - what `validate(layer)` runs.
Every expectation carries its severity twice: GX's own `severity` field and `meta.severity`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.metrics.query_metric_provider import _query_has_join_clause

from funnelhouse.core.personal import PERSONAL_DATA_COLUMNS, is_personal_data  # noqa: F401 - re-exported

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)
LAYERS = ("raw", "staging", "marts")

# Row-count band against the previous run of the same table (suite parameters, filled by the runner).
ROW_COUNT_MIN = "previous_row_count_min"
ROW_COUNT_MAX = "previous_row_count_max"

# Columns holding personal data (emails, names, phones): marked once in the core
# (funnelhouse/core/personal.py, which `funnelhouse erase` reads too). A validation of a suite with an
# expectation on one of them records its offending rows by id only (GX's `exclude_unexpected_values`,
# so the values never reach the stored results, the Data Docs or `audit`), and custom-SQL samples show
# these columns as hashes (expectations/outcomes.py).

# `from marts.x` / `join marts.x` in a query asset: the schema part, for Target.remapped
_QUERY_SCHEMA = re.compile(r"(\b(?:from|join)\s+)([a-z_][a-z0-9_]*)\.", re.IGNORECASE)
# GX aliases the `{batch}` subquery itself only in a query without a join (its own test, called here so
# the two never disagree); in one with a join the author must: PostgreSQL before 16 rejects a subquery in
# FROM without an alias. An alias here is `as <name>`: a bare word after `{batch}` may be `cross`, `join`...
_BATCH_ALIASED = re.compile(r"\{batch\}\s+as\s+[a-z_][a-z0-9_]*", re.IGNORECASE)
_ID_NAMESPACE = uuid.UUID("6d1f3a52-7a0e-4c1b-9a51-2f7f0c2f4e11")


def critical(expectation: gxe.Expectation, why: str) -> gxe.Expectation:
    return _with_severity(expectation, CRITICAL, why)


def warning(expectation: gxe.Expectation, why: str) -> gxe.Expectation:
    return _with_severity(expectation, WARNING, why)


def _with_severity(expectation: gxe.Expectation, severity: str, why: str) -> gxe.Expectation:
    expectation.severity = severity
    expectation.meta = {**(expectation.meta or {}), "severity": severity, "why": why}
    if not expectation.description:
        # Data Docs show the description in place of GX's generic wording: lead with the severity.
        expectation.description = f"[{severity}] {why}"
    return expectation


def rows(query: str, why: str, severity: str = CRITICAL) -> gxe.Expectation:
    """A custom SQL check: the query selects the offending rows (their ids first); none = pass."""
    if _query_has_join_clause(query) and len(_BATCH_ALIASED.findall(query)) != query.count("{batch}"):
        raise ValueError(f"custom SQL check {why!r}: a query with a join must alias every {{batch}} "
                         "(`from {batch} as x`): GX leaves it unaliased and PostgreSQL < 16 rejects that")
    return _with_severity(gxe.UnexpectedRowsExpectation(unexpected_rows_query=query.strip()), severity, why)


def row_count_band() -> gxe.Expectation:
    return warning(
        gxe.ExpectTableRowCountToBeBetween(
            min_value={"$PARAMETER": ROW_COUNT_MIN}, max_value={"$PARAMETER": ROW_COUNT_MAX}
        ),
        "row count within the band of the previous run (a sudden drop or jump is a warning)",
    )


def partition_param(column: str) -> str:
    return f"previous_partition__{column}"


def mix_drift(column: str, threshold: float = 0.1) -> gxe.Expectation:
    """The distribution of a categorical column moved little since the previous run (KL divergence
    against the previous run's observed distribution; the first run compares with itself)."""
    return warning(
        gxe.ExpectColumnKLDivergenceToBeLessThan(
            column=column, partition_object={"$PARAMETER": partition_param(column)}, threshold=threshold),
        f"the mix of {column} moved little since the previous run (KL divergence < {threshold})",
    )


@dataclass(frozen=True)
class Target:
    """What one validation runs on: a table (schema.table) or a named query."""

    schema: str
    table: str
    id_columns: tuple[str, ...] = ()
    query: str | None = None   # a query asset: `table` is then its name
    # Where the table physically is when validated under another schema (the publish step's shadow
    # `marts__next`): `name` keeps the contract name so audit history and baselines carry over.
    physical_schema: str | None = None

    @property
    def name(self) -> str:
        return self.table if self.query else f"{self.schema}.{self.table}"

    @property
    def relation(self) -> str:
        """SQL that stands for the batch (what `{batch}` becomes)."""
        if self.query:
            return f"({self.query}) as batch"
        return f'"{self.physical_schema or self.schema}"."{self.table}"'

    def remapped(self, schema_map: dict[str, str]) -> Target:
        """This target read from the schemas `schema_map` renames (e.g. marts -> marts__next)."""
        if not schema_map:
            return self
        if self.query:
            query = _QUERY_SCHEMA.sub(lambda m: m.group(1) + schema_map.get(m.group(2), m.group(2)) + ".", self.query)
            return replace(self, query=query)
        mapped = schema_map.get(self.schema)
        return replace(self, physical_schema=mapped) if mapped else self


@dataclass
class SuiteDef:
    name: str
    layer: str
    group: str
    description: str
    expectations: Sequence[gxe.Expectation]
    targets: Sequence[Target] = ()
    # Tables discovered at run time (e.g. every table in raw_salesforce): (schema, id columns).
    discover_schema: str | None = None
    discover_id_columns: tuple[str, ...] = ()
    # Discover only the tables no other suite names (the catch-all of a layer).
    discover_uncovered: bool = False
    # Extra tables the contract promises (reported 'not built' when absent).
    expected_tables: Sequence[str] = ()
    row_count_band: bool = True
    notes: str = ""
    _suite: gx.ExpectationSuite | None = field(default=None, repr=False)

    def gx_suite(self) -> gx.ExpectationSuite:
        """The GX suite with deterministic ids (so the committed JSON never churns)."""
        if self._suite is None:
            expectations = list(self.expectations)
            if self.row_count_band:
                expectations.append(row_count_band())
            suite = gx.ExpectationSuite(
                name=self.name,
                expectations=expectations,
                meta={"layer": self.layer, "group": self.group, "description": self.description},
                notes=self.notes or self.description,
            )
            suite.id = str(uuid.uuid5(_ID_NAMESPACE, self.name))
            for i, exp in enumerate(suite.expectations):
                exp.id = str(uuid.uuid5(_ID_NAMESPACE, f"{self.name}/{i}/{exp.expectation_type}"))
            self._suite = suite
        return self._suite


SuiteFactory = Callable[[], list[SuiteDef]]


def touches_personal_data(suite: SuiteDef) -> bool:
    """Whether any expectation of the suite is on a personal-data column."""
    for exp in suite.expectations:
        columns = [getattr(exp, "column", None), *(getattr(exp, "column_list", None) or [])]
        if any(is_personal_data(c) for c in columns if isinstance(c, str)):
            return True
    return False


def severity_of(expectation_config: dict) -> str:
    meta = expectation_config.get("meta") or {}
    sev = meta.get("severity") or expectation_config.get("severity") or CRITICAL
    return sev if sev in SEVERITIES else CRITICAL
