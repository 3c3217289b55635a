"""Rates of real-world mess, scaled by a profile ('clean', 'default', 'heavy') or a float multiplier."""

from __future__ import annotations

from dataclasses import dataclass, fields

PROFILES = {"clean": 0.0, "default": 1.0, "heavy": 3.0}


@dataclass(frozen=True)
class MessRates:
    skipped_stage: float = .08
    contact_without_lead: float = .10
    missing_field: float = .10
    duplicate_lead: float = .04
    spam: float = .02
    hard_deleted_member: float = .03
    hs_merge: float = .02
    missing_contact_role: float = .05
    missing_history: float = .03
    late_update: float = .05
    unicode_name: float = .15
    email_variant: float = .30
    deleted_activity: float = .02
    duplicate_opportunity: float = .03

    def scaled(self, factor: float) -> MessRates:
        caps = {"email_variant": 1.0, "unicode_name": .6}
        return MessRates(**{f.name: min(getattr(self, f.name) * factor, caps.get(f.name, .5)) for f in fields(self)})


def mess_factor(mess: str | float) -> float:
    if isinstance(mess, (int, float)):
        if mess < 0:
            raise ValueError(f"mess must be >= 0, got {mess}")
        return float(mess)
    if mess in PROFILES:
        return PROFILES[mess]
    try:
        return mess_factor(float(mess))
    except ValueError:
        raise ValueError(f"mess must be one of {sorted(PROFILES)} or a number, got {mess!r}") from None


def rates_for(mess: str | float) -> MessRates:
    return MessRates().scaled(mess_factor(mess))
