"""World time: epoch-second integers, the fixed start/initial clock, and the vendors' text formats."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from functools import lru_cache

DAY = 86_400
START = calendar.timegm((2024, 1, 1, 0, 0, 0))
INITIAL_CLOCK = calendar.timegm((2026, 1, 1, 0, 0, 0))
HISTORY_DAYS = (INITIAL_CLOCK - START) // DAY
#: Account.Partner_Tier__c / companies.fh_partner_tier exist only after this instant (i.e. after `advance`).
NEW_FIELD_AT = INITIAL_CLOCK + DAY // 2


@lru_cache(maxsize=1 << 16)
def sf_datetime(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(t))


@lru_cache(maxsize=1 << 16)
def hs_datetime(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def iso_date(t: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def day_start(t: int) -> int:
    return t - t % DAY


def month_index(t: int) -> int:
    """Months since START (0 = 2024-01)."""
    g = time.gmtime(t)
    return (g.tm_year - 2024) * 12 + g.tm_mon - 1


def month_start(m: int) -> int:
    return calendar.timegm((2024 + m // 12, m % 12 + 1, 1, 0, 0, 0))


def parse_instant(text: str) -> int:
    """Parse ISO-8601 / Salesforce / HubSpot datetime text or epoch-ms digits to epoch seconds."""
    s = text.strip()
    if s.isdigit():
        return int(s) // 1000
    if len(s) == 10:
        return calendar.timegm(time.strptime(s, "%Y-%m-%d"))
    s = s.replace("Z", "+00:00")
    if s[-5] in "+-" and s[-3] != ":":
        s = s[:-2] + ":" + s[-2:]
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())
