"""start_sandbox(): both emulators over one dataset, in background threads."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from funnelhouse.core.runtime import AS_OF_VAR
from funnelhouse.core.settings import HubSpotSettings, SalesforceSettings, Secret, Settings, crm_env
from sandbox.emulators.dataset import Dataset, load
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.http import RunningServer, serve
from sandbox.emulators.hubspot.app import HubSpotApp
from sandbox.emulators.salesforce.app import SalesforceApp
from sandbox.emulators.tls import make_certificates, server_context

DEFAULT_TOKEN = "sandbox-token"


@dataclass
class SandboxServers:
    salesforce_url: str
    hubspot_url: str
    token: str
    ca_file: Path
    clock: str
    dataset: Dataset
    salesforce: SalesforceApp
    hubspot: HubSpotApp
    _servers: list[RunningServer] = field(default_factory=list, repr=False)

    def crm_settings(self) -> tuple[SalesforceSettings, HubSpotSettings]:
        """The Salesforce and HubSpot settings that point the unchanged extractors at these emulators."""
        return (SalesforceSettings(instance_url=self.salesforce_url, access_token=Secret(self.token),
                                   ca_file=str(self.ca_file)),
                HubSpotSettings(access_token=Secret(self.token), base_url=self.hubspot_url))

    def settings(self, base: Settings) -> Settings:
        """`base` (state dir, warehouse) with its CRM settings pointed at these emulators."""
        salesforce, hubspot = self.crm_settings()
        return replace(base, salesforce=salesforce, hubspot=hubspot)

    def crm_env(self) -> dict[str, str]:
        """The same as environment variables (for a child process), plus the world's clock as the
        run's as-of time, so the marts are computed at the world's "now"."""
        return {**crm_env(*self.crm_settings()), AS_OF_VAR: self.clock}

    def reload(self) -> str:
        """Re-read the dataset folder (after `sandbox.world.advance`) without restarting; return the new clock."""
        data = load(self.dataset.root)
        self.salesforce.set_data(data)
        self.hubspot.set_data(data)
        self.dataset, self.clock = data, data.clock
        return self.clock

    def stop(self) -> None:
        for s in self._servers:
            s.stop()
        self._servers.clear()

    def __enter__(self) -> SandboxServers:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_sandbox(dataset_dir: Path | str, salesforce_port: int = 0, hubspot_port: int = 0,
                  faults: FaultConfig | None = None, *, salesforce_faults: FaultConfig | None = None,
                  hubspot_faults: FaultConfig | None = None, token: str = DEFAULT_TOKEN,
                  tls_dir: Path | str | None = None, host: str = "127.0.0.1",
                  public_host: str | None = None) -> SandboxServers:
    """Serve `dataset_dir` through the Salesforce (HTTPS) and HubSpot (HTTP) emulators.

    `faults` applies to both emulators unless overridden per emulator. The self-signed CA is written to
    `tls_dir` (default: a fresh temporary folder); trust it with `session.verify = servers.ca_file`.
    `public_host` is the name clients use in the URLs (default: `host`, or 127.0.0.1 when binding 0.0.0.0);
    the certificate covers it."""
    data = load(dataset_dir)
    base = faults or FaultConfig()
    public = public_host or ("127.0.0.1" if host in ("0.0.0.0", "::", "") else host)
    ca_file, cert_file, key_file = make_certificates(
        Path(tls_dir) if tls_dir else Path(tempfile.mkdtemp(prefix="funnelhouse-sandbox-tls-")), [public])
    sf_app = SalesforceApp(data, token, salesforce_faults or base)
    hs_app = HubSpotApp(data, token, hubspot_faults or base)
    servers: list[RunningServer] = []
    try:
        sf = serve(sf_app, salesforce_port, tls=server_context(cert_file, key_file), host=host, name="sandbox-sf")
        servers.append(sf)
        hs = serve(hs_app, hubspot_port, host=host, name="sandbox-hs")
        servers.append(hs)
    except Exception:
        for s in servers:
            s.stop()
        raise
    sf_url = f"https://{public}:{sf.port}"
    hs_url = f"http://{public}:{hs.port}"
    sf_app.base_url = sf_url
    hs_app.base_url = hs_url
    return SandboxServers(sf_url, hs_url, token, ca_file, data.clock, data, sf_app, hs_app, servers)
