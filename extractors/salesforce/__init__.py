"""Salesforce: every object through `SalesforceObject` (REST query/queryAll, Bulk API 2.0 for large
backlogs, id reconciliation for hard deletes) over one `SalesforceSource` connection per run.

`SOURCE_DEF` is the source's registry: the object list comes from the raw contract
(`funnelhouse.core.raw`); a new object needs an entry there and nothing here (describe drives the
field list).
"""

from __future__ import annotations

from extractors.engine.base import ObjectExtractor, SourceDef
from extractors.salesforce.objects import SOURCE, SalesforceObject
from extractors.salesforce.source import SalesforceSource
from funnelhouse.core.raw import objects


def extractor(connection: SalesforceSource, object_name: str) -> ObjectExtractor:
    return SalesforceObject(connection, object_name)


SOURCE_DEF = SourceDef(SOURCE, objects(SOURCE), SalesforceSource, extractor)

__all__ = ["SOURCE_DEF", "SalesforceObject", "SalesforceSource"]
