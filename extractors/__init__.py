"""Incremental, loss-free extraction of Salesforce and HubSpot into the raw layer (docs/extraction.md).

A leaf package: it imports only `funnelhouse.core`. `engine/` is what every source shares,
`salesforce/` and `hubspot/` are the sources (each exposes `SOURCE_DEF`, its object registry).
Entry points: `extractors.run.extract`, `extractors.run.extract_object`, `extractors.run.list_objects`,
and `python -m extractors` (`extractors.cli`; the `funnelhouse extract` command wraps it).
"""
