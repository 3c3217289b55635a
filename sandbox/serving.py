"""The sandbox in place of the CRMs: the world for the configured seed/size, generated once and
reused, served on loopback, and the settings that point the unchanged extractors at it.

`make run`, `funnelhouse extract` and `make airflow` all serve the sandbox through here, so what
"sandbox mode" means is written once.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from funnelhouse.core.settings import SandboxSettings, Settings
from sandbox.server import SandboxServers, start_sandbox
from sandbox.world import generate


def ensure_world(sandbox: SandboxSettings, fresh: bool = False) -> Path:
    """The sandbox dataset for SANDBOX_SEED/SANDBOX_PEOPLE, generated once and reused."""
    dataset = sandbox.dataset_dir
    meta_file = dataset / "world.json"
    wanted = {"seed": sandbox.seed, "people": sandbox.people}
    if meta_file.exists() and not fresh:
        meta = json.loads(meta_file.read_text())
        if all(meta.get(k) == v for k, v in wanted.items()):
            return dataset
    if dataset.exists():
        shutil.rmtree(dataset)
    started = time.monotonic()
    print(f"generating sandbox world: seed={wanted['seed']} people={wanted['people']} -> {dataset}", flush=True)
    generate(seed=wanted["seed"], people=wanted["people"], out_dir=dataset)
    print(f"  generated in {time.monotonic() - started:.1f}s", flush=True)
    return dataset


@contextmanager
def serve_world(settings: Settings, fresh: bool = False) -> Iterator[SandboxServers]:
    """Serve the configured world for the duration of the block; `servers.settings(settings)` and
    `servers.crm_env()` point a client (or a child process) at it."""
    with start_sandbox(ensure_world(settings.sandbox, fresh=fresh)) as servers:
        yield servers
