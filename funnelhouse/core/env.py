"""Reading one environment variable; a malformed value is a ConfigError naming the variable.

Only the core reads `FUNNELHOUSE_*`, `EXTRACT_*`, `SALESFORCE_*`, `HUBSPOT_*`, `SANDBOX_*` and
`WAREHOUSE_*` variables, so each has one owner and one documented default.
"""

from __future__ import annotations

import os


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the setting."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_raw(name: str) -> str | None:
    """The value as set (None when unset): for settings where 'set but empty' means something."""
    return os.environ.get(name)


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    """An integer setting; a malformed one is a ConfigError naming the variable."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def env_float(name: str, default: float) -> float:
    """A number setting; a malformed one is a ConfigError naming the variable."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def env_bool(name: str, default: bool = False) -> bool:
    """A true/false setting (1/true/yes/on, 0/false/no/off); anything else is a ConfigError naming it."""
    value = env_str(name).lower()
    if not value:
        return default
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ConfigError(f"{name}: {value!r} is not true or false")
    return value in ("1", "true", "yes", "on")
