"""Configuration: secrets never print, bad settings fail fast with one line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from funnelhouse.core.settings import PROJECT_ROOT, ConfigError, load_settings

CRM_VARS = [
    "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN", "SALESFORCE_USERNAME", "SALESFORCE_PASSWORD",
    "SALESFORCE_SECURITY_TOKEN", "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET", "HUBSPOT_ACCESS_TOKEN",
    "HUBSPOT_BASE_URL", "WAREHOUSE_DSN",
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> pytest.MonkeyPatch:
    for name in CRM_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FUNNELHOUSE_STATE_DIR", str(tmp_path / "state"))
    return monkeypatch


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in CRM_VARS}
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "funnelhouse", *args], capture_output=True, text=True,
                          env=full_env, cwd=PROJECT_ROOT, timeout=120)


def test_no_credentials_means_sandbox_mode(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings(env_file=PROJECT_ROOT / "nonexistent.env")
    assert settings.sandbox_mode
    assert settings.embedded_warehouse


def test_credentials_switch_to_live_mode(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-123")
    settings = load_settings(env_file=PROJECT_ROOT / "nonexistent.env")
    assert not settings.sandbox_mode
    assert settings.hubspot.access_token == "pat-na1-123"
    assert "pat-na1-123" not in repr(settings)


def test_config_show_never_prints_a_secret() -> None:
    secrets = {
        "SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com",
        "SALESFORCE_ACCESS_TOKEN": "00Dxx!SECRETSFTOKEN",
        "SALESFORCE_CLIENT_SECRET": "SECRETCLIENTSECRET",
        "HUBSPOT_ACCESS_TOKEN": "pat-na1-SECRETHUBSPOT",
        "WAREHOUSE_DSN": "postgresql://etl:SECRETPGPASSWORD@db.internal:5432/warehouse",
    }
    result = run_cli("config", "show", env=secrets)
    assert result.returncode == 0, result.stderr
    for secret in ("SECRETSFTOKEN", "SECRETCLIENTSECRET", "SECRETHUBSPOT", "SECRETPGPASSWORD"):
        assert secret not in result.stdout + result.stderr
    assert "https://acme.my.salesforce.com" in result.stdout
    assert "postgresql://etl:****@db.internal:5432/warehouse" in result.stdout
    assert "live" in result.stdout


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"SALESFORCE_INSTANCE_URL": "acme.my.salesforce.com", "SALESFORCE_ACCESS_TOKEN": "x"},
         "SALESFORCE_INSTANCE_URL"),
        ({"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com", "SALESFORCE_ACCESS_TOKEN": ""},
         "SALESFORCE_ACCESS_TOKEN"),
        ({"HUBSPOT_ACCESS_TOKEN": "  "}, "HUBSPOT_ACCESS_TOKEN"),
        ({"WAREHOUSE_DSN": "mysql://root@localhost/db"}, "WAREHOUSE_DSN"),
        ({"SANDBOX_PEOPLE": "many"}, "SANDBOX_PEOPLE"),
    ],
)
def test_bad_configuration_fails_fast_with_one_line(env: dict[str, str], setting: str) -> None:
    result = run_cli("config", "show", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]


def test_unreachable_dsn_fails_fast_naming_the_setting() -> None:
    result = run_cli("warehouse", "status",
                     env={"WAREHOUSE_DSN": "postgresql://etl:SECRETPW@127.0.0.1:1/warehouse"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("funnelhouse: configuration error: WAREHOUSE_DSN: cannot connect")
    assert "SECRETPW" not in result.stderr


def test_config_error_type_names_setting(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HUBSPOT_BASE_URL", "ftp://example.com")
    with pytest.raises(ConfigError, match="HUBSPOT_BASE_URL"):
        load_settings(env_file=PROJECT_ROOT / "nonexistent.env")
