"""All suites, as code. `python -m expectations export` writes them as JSON into the committed GX
context (expectations/gx/expectations/), which is what the runner loads; a test keeps the two equal."""

from __future__ import annotations

import json
from pathlib import Path

from expectations.specs import LAYERS, SuiteDef
from expectations.suites import marts, raw, staging

GX_DIR = Path(__file__).resolve().parent.parent / "gx"
SUITES_DIR = GX_DIR / "expectations"


def catch_all() -> list[SuiteDef]:
    """Every other table of a layer still gets checked: its row count against the previous run."""
    return [
        SuiteDef(name=f"{schema}_other_tables", layer=layer, group=f"{schema}_other_tables",
                 description=f"Tables in {schema} that no specific suite covers: row count vs previous run.",
                 expectations=[], discover_schema=schema, discover_uncovered=True)
        for schema, layer in (("staging", "staging"), ("intermediate", "staging"), ("marts", "marts"))
    ]


def all_suites() -> list[SuiteDef]:
    return raw.suites() + staging.suites() + marts.suites() + catch_all()


def select(layer: str | None = None, names: list[str] | None = None) -> list[SuiteDef]:
    """Suites of a layer ('all' or None = every layer; several as 'staging,marts'), optionally only
    those whose name or group is in `names`; an unknown layer or name is an error listing the valid ones."""
    wanted = set(LAYERS) if layer in (None, "all") else {part.strip() for part in layer.split(",")}
    if not wanted or not wanted <= set(LAYERS):
        raise ValueError(f"unknown layer {layer!r}; choose one of: all, {', '.join(LAYERS)} "
                         "(or several, comma-separated)")
    chosen = [s for s in all_suites() if s.layer in wanted]
    if names:
        known = {s.name for s in chosen} | {s.group for s in chosen}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown suite or group {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        chosen = [s for s in chosen if s.name in names or s.group in names]
    return chosen


def suite_json(suite: SuiteDef) -> str:
    return json.dumps(suite.gx_suite().to_json_dict(), indent=2, sort_keys=True) + "\n"


def export(target_dir: Path = SUITES_DIR) -> list[Path]:
    """Write every suite as GX JSON; remove JSON of suites that no longer exist."""
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for suite in all_suites():
        path = target_dir / f"{suite.name}.json"
        path.write_text(suite_json(suite))
        written.append(path)
    for stale in set(target_dir.glob("*.json")) - set(written):
        stale.unlink()
    return written
