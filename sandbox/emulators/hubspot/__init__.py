"""HubSpot emulator: CRM v3 objects, search, associations v4, owners, pipelines, marketing events."""
