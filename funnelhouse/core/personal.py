"""Personal data, marked once: the columns / JSON keys holding it (emails, names, phones), matched
case-insensitively (raw Salesforce spells them `Email`, `FirstName`; raw HubSpot `email`,
`firstname`). The quality layer records offending rows of these columns by id only
(expectations/specs.py re-exports the list); `funnelhouse erase` redacts these keys in a person's
own records (funnelhouse/erasure.py)."""

from __future__ import annotations

PERSONAL_DATA_COLUMNS = frozenset({
    "email", "norm_email", "email_norm", "hs_email", "merged_email", "mergedemail", "additional_emails",
    "hs_additional_emails", "email_aliases", "first_name", "last_name", "firstname", "lastname", "name",
    "full_name", "phone", "mobile_phone", "mobilephone",
})

#: what an erased name, phone or other personal text becomes
ERASED = "[erased]"
#: the domain of the pseudonymous address an erased email becomes (RFC 2606: never deliverable)
ERASED_EMAIL_DOMAIN = "erased.invalid"


def is_personal_data(column: str | None) -> bool:
    return bool(column) and column.lower() in PERSONAL_DATA_COLUMNS
