"""Building the real CRM clients from Settings.

TLS verification is never turned off: the sandbox's self-signed CA is trusted explicitly through
`SALESFORCE_CA_FILE`, and `trust_env = False` stops `REQUESTS_CA_BUNDLE`/`CURL_CA_BUNDLE` in the
environment from silently replacing it (a requests gotcha). Transport retries come from urllib3
`Retry`; every response is counted and Salesforce's `Sforce-Limit-Info` usage is remembered for the
daily-quota guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests
from hubspot import HubSpot
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce

from extractors.errors import ExtractError, register_secrets
from extractors.retry import Counters, translate, transport_retry

_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")
DEFAULT_TIMEOUT = (15, 300)


@dataclass
class ApiUsage:
    used: int = 0
    total: int = 0


class CrmSession(requests.Session):
    """requests.Session with a default timeout, an explicit trust store and usage tracking."""

    def __init__(self, counters: Counters, ca_file: str = ""):
        super().__init__()
        self.counters = counters
        self.trust_env = False
        self.verify = ca_file or True
        self.usage = ApiUsage()
        adapter = HTTPAdapter(max_retries=transport_retry(counters), pool_maxsize=4)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        response = super().request(method, url, *args, **kwargs)
        info = response.headers.get("Sforce-Limit-Info")
        if info:
            match = _LIMIT_INFO.search(info)
            if match:
                self.usage = ApiUsage(int(match.group(1)), int(match.group(2)))
        return response


def _client_credentials_token(session: CrmSession, instance_url: str, client_id: str, secret: str) -> tuple[str, str]:
    """OAuth client-credentials flow against the org's own My Domain URL (works for the sandbox too;
    simple-salesforce would build `https://<domain>.salesforce.com`, which only fits real orgs)."""
    response = session.post(
        f"{instance_url}/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    if response.status_code != 200:
        raise ExtractError(f"salesforce login (client credentials) failed: HTTP {response.status_code}")
    body = response.json()
    return body["access_token"], body.get("instance_url") or instance_url


def salesforce_client(settings: Any, counters: Counters) -> tuple[Salesforce, CrmSession]:
    sf = settings.salesforce
    register_secrets([str(sf.access_token), str(sf.password), str(sf.security_token), str(sf.client_secret)])
    session = CrmSession(counters, sf.ca_file)
    try:
        if sf.access_token:
            client = Salesforce(instance_url=sf.instance_url, session_id=str(sf.access_token),
                                version=sf.api_version, session=session)
        elif sf.client_id:
            token, instance = _client_credentials_token(session, sf.instance_url, sf.client_id, str(sf.client_secret))
            register_secrets([token])
            client = Salesforce(instance_url=instance, session_id=token, version=sf.api_version, session=session)
        elif sf.username:
            client = Salesforce(username=sf.username, password=str(sf.password),
                                security_token=str(sf.security_token), domain=sf.domain,
                                version=sf.api_version, session=session)
            register_secrets([client.session_id])
        else:
            raise ExtractError("salesforce: no credentials configured (SALESFORCE_ACCESS_TOKEN, "
                               "SALESFORCE_USERNAME/PASSWORD or SALESFORCE_CLIENT_ID/SECRET)")
    except ExtractError:
        raise
    except Exception as exc:  # noqa: BLE001 - login errors carry credentials in their text
        raise translate(exc, "salesforce login") from None
    return client, session


def hubspot_client(settings: Any, counters: Counters) -> HubSpot:
    hs = settings.hubspot
    if not hs.access_token:
        raise ExtractError("hubspot: no credentials configured (HUBSPOT_ACCESS_TOKEN)")
    register_secrets([str(hs.access_token)])
    return HubSpot(access_token=str(hs.access_token), host=hs.base_url.rstrip("/"), retry=transport_retry(counters))
