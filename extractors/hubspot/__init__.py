"""HubSpot: the CRM objects through `HubSpotObject` (list + keyset search), and the objects outside
the CRM-object endpoints through their own extractors (owners, pipelines, associations, merges,
marketing events), all over one `HubSpotApi` connection per run.

`SOURCE_DEF` is the source's registry: the object list comes from the raw contract
(`funnelhouse.core.raw`); `SPECIAL` names the objects that are not plain CRM objects.
"""

from __future__ import annotations

from collections.abc import Callable

from extractors.engine.base import ObjectExtractor, SourceDef
from extractors.hubspot.api import HubSpotApi
from extractors.hubspot.events import MarketingEvents, Participations
from extractors.hubspot.extras import Associations, ContactMerges, DealPipelines, Owners
from extractors.hubspot.objects import SOURCE, HubSpotObject
from funnelhouse.core.raw import objects

SPECIAL: dict[str, Callable[[HubSpotApi], ObjectExtractor]] = {
    "owners": Owners, "deal_pipelines": DealPipelines, "associations": Associations,
    "contact_merges": ContactMerges, "marketing_events": MarketingEvents,
    "marketing_event_participations": Participations,
}


def extractor(connection: HubSpotApi, object_name: str) -> ObjectExtractor:
    special = SPECIAL.get(object_name)
    return special(connection) if special else HubSpotObject(connection, object_name)


SOURCE_DEF = SourceDef(SOURCE, objects(SOURCE), HubSpotApi, extractor)

__all__ = ["SOURCE_DEF", "SPECIAL", "HubSpotApi", "HubSpotObject"]
