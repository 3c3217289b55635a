"""Fill the raw layer the real way: serve a sandbox dataset with the emulators and run the extractors."""

from __future__ import annotations

from pathlib import Path

from funnelhouse.config import HubSpotSettings, SalesforceSettings, Secret, Settings


def extract_world(dataset: Path, dsn: str, state_dir: Path) -> None:
    from extractors.run import extract
    from sandbox.server import start_sandbox

    with start_sandbox(dataset) as servers:
        settings = Settings(
            state_dir=state_dir,
            salesforce=SalesforceSettings(instance_url=servers.salesforce_url, access_token=Secret(servers.token),
                                          ca_file=str(servers.ca_file)),
            hubspot=HubSpotSettings(access_token=Secret(servers.token), base_url=servers.hubspot_url),
        )
        summary = extract(settings, dsn, progress=False)
    failed = [(o.source, o.object, o.error) for o in summary.objects if o.outcome != "success"]
    assert not failed, failed
