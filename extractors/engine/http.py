"""The HTTP session both CRM clients run on.

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
from requests.adapters import HTTPAdapter

from extractors.engine.retry import Counters, transport_retry

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
