"""A multi-currency org (heavy mess, knob `foreign_currency`): USD corporate, some opportunities and
deals in EUR or GBP, Salesforce CurrencyType + DatedConversionRate with a dated rate change inside
the history, HubSpot deals carrying `deal_currency_code` and `amount_in_home_currency`.

Amounts stay the numbers the journey drew, now in the record's own currency, so turning the knob on
changes no other field of the world. The currency of an opportunity is a seeded hash of (seed, its
key), never the journey's RNG. Rates are Salesforce's convention: units of the currency per 1 USD.
"""

from __future__ import annotations

import calendar
import hashlib
from typing import Any

from .clock import DAY, START, iso_date, sf_datetime

CORPORATE = "USD"
FOREIGN = ("EUR", "GBP")
#: CurrencyType.ConversionRate (the current rate), units per USD
CURRENT = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79}
#: the dated rate change inside the history: (StartDate, rate) per currency, the last one open-ended
RATE_CHANGE_AT = calendar.timegm((2025, 1, 1, 0, 0, 0))
DATED = {"EUR": [(START - 365 * DAY, 0.90), (RATE_CHANGE_AT, 0.95)],
         "GBP": [(START - 365 * DAY, 0.78), (RATE_CHANGE_AT, 0.81)]}
#: HubSpot converts amount_in_home_currency at the portal's current rate (its own rate table)
HS_CURRENT = CURRENT


def _draw(seed: int, key: str) -> float:
    digest = hashlib.blake2b(f"{seed}:foreign_currency:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def currency_of(seed: int, share: float, key: str) -> str:
    """The currency of one opportunity / deal (`key` its stable journey key)."""
    u = _draw(seed, key)
    if u >= share:
        return CORPORATE
    return FOREIGN[0] if u < share * 0.6 else FOREIGN[1]


def sf_rate_on(currency: str, day: int) -> float:
    """Units of `currency` per USD in force on `day` (DatedConversionRate: StartDate <= day < next)."""
    if currency == CORPORATE:
        return 1.0
    rate = CURRENT[currency]
    for start, r in DATED[currency]:
        if start <= day:
            rate = r
    return rate


def corporate_amount_sf(amount: float | None, currency: str, close_day: int) -> float | None:
    return None if amount is None else amount / sf_rate_on(currency, close_day)


def home_amount_hs(amount: float | None, currency: str) -> float | None:
    """HubSpot's amount_in_home_currency, rounded to the cent as the portal stores it."""
    return None if amount is None else round(amount / HS_CURRENT[currency], 2)


def sf_rate_records(created: int) -> dict[str, list[dict[str, Any]]]:
    """CurrencyType and DatedConversionRate rows (Salesforce record layout, as the files hold them)."""
    stamp = sf_datetime(created)
    audit = {"CreatedDate": stamp, "LastModifiedDate": stamp, "SystemModstamp": stamp}
    types = [{"Id": f"02B00000000000{i}AAA", "IsoCode": code, "ConversionRate": CURRENT[code],
              "DecimalPlaces": 2, "IsActive": True, "IsCorporate": code == CORPORATE, **audit}
             for i, code in enumerate(("USD", *FOREIGN))]
    dated = []
    for i, code in enumerate(FOREIGN):
        periods = DATED[code]
        for k, (start, rate) in enumerate(periods):
            nxt = periods[k + 1][0] if k + 1 < len(periods) else None
            dated.append({"Id": f"04w00000000{i}{k:02d}AAA", "IsoCode": code, "ConversionRate": rate,
                          "StartDate": iso_date(start), "NextStartDate": iso_date(nxt) if nxt else None,
                          **audit})
    return {"CurrencyType": types, "DatedConversionRate": dated}
