"""Fill the raw layer the real way: serve a sandbox dataset with the emulators and run the extractors."""

from __future__ import annotations

from pathlib import Path

from funnelhouse.core.settings import Settings


def extract_world(dataset: Path, dsn: str, state_dir: Path) -> None:
    from extractors.run import extract
    from sandbox.server import start_sandbox

    with start_sandbox(dataset) as servers:
        settings = servers.settings(Settings(state_dir=state_dir))
        summary = extract(settings, dsn, progress=False)
    failed = [(o.source, o.object, o.error) for o in summary.objects if o.outcome != "success"]
    assert not failed, failed
