"""The simple-salesforce client from Settings: an access token, the OAuth client-credentials flow or
username/password, on the engine's `CrmSession` (explicit trust store, usage tracking)."""

from __future__ import annotations

from simple_salesforce import Salesforce

from extractors.engine.errors import ExtractError, register_secrets
from extractors.engine.http import CrmSession
from extractors.engine.retry import Counters, translate
from funnelhouse.core.settings import Settings


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


def salesforce_client(settings: Settings, counters: Counters) -> tuple[Salesforce, CrmSession]:
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
