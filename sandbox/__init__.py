"""The sandbox: a synthetic CRM world (`world/`) served by Salesforce and HubSpot API emulators
(`emulators/`, started by `server.start_sandbox`); `serving` is sandbox mode. A leaf package: it
imports only `funnelhouse.core`."""
