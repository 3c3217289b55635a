"""Reopened opportunities (heavy mess, knob `reopened_deal`, METRICS §4 `closed_at`).

A closed Salesforce opportunity / HubSpot deal is reopened in one of two ways:

* `reclosed`: it closes early (lost, or won when it is finally lost), is reopened into its last open
  stage and closes again with the journey's outcome at the journey's close time. Its `closed_at` is
  the **last** entry into a closed stage (the journey's close), not the first.
* `open`: it closes with the journey's outcome, is reopened 5-60 days later into its last open stage
  and stays open: `is_closed` false, `closed_at` null, a new expected close date.

Which opportunity, how and when are seeded hashes of (seed, knob, the opportunity's journey key), never
the journey's RNG, so the knob changes no other record of the world and `advance` keeps them stable.
"""

from __future__ import annotations

from dataclasses import dataclass

from .clock import DAY
from .hs_org import draw


@dataclass(frozen=True)
class Reopen:
    kind: str               # 'reclosed' | 'open'
    first_close_at: int     # reclosed: the early close; open: the journey's close
    first_won: bool         # the outcome of that first close
    reopened_at: int        # back into the last open stage
    expected_close: int     # the close date set when reopened (a date, 00:00 UTC)


def reopen_of(seed: int, rate: float, key: str, last_open_at: int, closed_at: int, won: bool) -> Reopen | None:
    """How the opportunity with journey key `key` is reopened, or None (most are not)."""
    if rate <= 0 or draw(seed, "reopened_deal", key) >= rate:
        return None
    if draw(seed, "reopened_kind", key) < 0.5 and closed_at - last_open_at >= 4:
        span = closed_at - last_open_at
        first = last_open_at + max(1, int(span * (0.2 + 0.3 * draw(seed, "reopened_first", key))))
        back = first + max(1, int((closed_at - first) * (0.3 + 0.4 * draw(seed, "reopened_back", key))))
        back = min(back, closed_at - 1)
        # a deal lost, reopened and won; or won, reopened (the contract fell through) and lost
        return Reopen("reclosed", first, not won, back, closed_at - closed_at % DAY)
    back = closed_at + int((5 + 55 * draw(seed, "reopened_after", key)) * DAY)
    expected = back + int((14 + 60 * draw(seed, "reopened_close", key)) * DAY)
    return Reopen("open", closed_at, won, back, expected - expected % DAY)
