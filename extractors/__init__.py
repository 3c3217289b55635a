"""Incremental, loss-free extraction of Salesforce and HubSpot into the raw layer (docs/extraction.md).

Entry points: `extractors.run.extract`, `extractors.run.extract_object`, `extractors.run.list_objects`,
and the `extract` command (`extractors.cli.register`, also `python -m extractors`).
"""
