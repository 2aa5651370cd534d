"""A small client for IOM's DTM API v3 (``displacement/admin0`` and ``admin1`` for Haiti).

Why not IOM's own ``dtmapi`` package: its endpoints are module constants (no base URL to point
at a stand-in), it returns parsed records or pandas frames rather than the response as received
(which provenance needs, with its checksum), and its retries ignore ``Retry-After``. This client
is ``requests`` with urllib3's ``Retry``: connect/read timeouts, a few retries on 429 and 5xx
with exponential backoff, ``Retry-After`` honoured but capped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

DEFAULT_API_URL = "https://dtmapi.iom.int/v3"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
LEVELS = ("admin0", "admin1")
QUERY = {"Admin0Pcode": "HTI"}
RETRY_STATUSES = (429, 500, 502, 503, 504)
KEY_PORTAL = "https://dtm-apim-portal.iom.int"


class UpdateError(Exception):
    """A fetch that failed; the message is one line that says what to do."""


@dataclass(frozen=True)
class Fetched:
    """One response as received."""

    source: str  # "dtm-api-v3" or "hdx"
    level: str  # "admin0", "admin1" ("admin0-2" for the HDX file)
    url: str  # what was fetched, never with a key
    body: bytes
    retrieved: dt.date
    licence: str


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4
    backoff: float = 2.0  # seconds: 2, 4, 8, ... between tries
    max_wait: float = 60.0  # cap on any wait, Retry-After included
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


def _retry(policy: RetryPolicy) -> Retry:
    class BoundedRetry(Retry):
        def get_retry_after(self, response):  # type: ignore[no-untyped-def]
            after = super().get_retry_after(response)
            return None if after is None else min(after, policy.max_wait)

    return BoundedRetry(
        total=policy.retries,
        connect=policy.retries,
        read=policy.retries,
        status=policy.retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        backoff_factor=policy.backoff / 2,
        backoff_max=policy.max_wait,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def session(policy: RetryPolicy) -> requests.Session:
    http = requests.Session()
    adapter = HTTPAdapter(max_retries=_retry(policy))
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


def endpoint(base_url: str, level: str) -> str:
    """The URL of one level for Haiti (the key travels in a header, never in the URL)."""
    return f"{base_url.rstrip('/')}/displacement/{level}?{urlencode(QUERY)}"


def fetch_level(
    http: requests.Session,
    base_url: str,
    key: str,
    level: str,
    policy: RetryPolicy,
    today: dt.date,
) -> Fetched:
    url = endpoint(base_url, level)
    tries = policy.retries + 1
    try:
        response = http.get(
            url,
            headers={KEY_HEADER: key, "Accept": "application/json"},
            timeout=(policy.connect_timeout, policy.read_timeout),
        )
    except requests.exceptions.RetryError as err:
        raise UpdateError(
            f"the DTM API kept failing at {url} after {tries} tries ({err})"
        ) from None
    except requests.exceptions.Timeout:
        raise UpdateError(
            f"no answer from {url} within {policy.read_timeout:g} s, {tries} tries; try again later"
        ) from None
    except requests.exceptions.ConnectionError as err:
        # after the last retry a read timeout arrives wrapped as a connection error
        cause = getattr(err.args[0] if err.args else None, "reason", None)
        if isinstance(cause, urllib3.exceptions.TimeoutError) and not isinstance(
            cause, urllib3.exceptions.NewConnectionError
        ):
            raise UpdateError(
                f"no answer from {url} within {policy.read_timeout:g} s, {tries} tries; try "
                "again later"
            ) from None
        raise UpdateError(
            f"cannot reach the DTM API at {url} ({tries} tries); check DTM_API_URL and the network"
        ) from None
    status = response.status_code
    if status in (401, 403):
        raise UpdateError(
            f"the DTM API refused DTM_API_KEY (HTTP {status}): check the key (a free key comes "
            f"from {KEY_PORTAL})"
        )
    if status == 429:
        raise UpdateError(
            f"the DTM API is limiting requests (HTTP 429) after {tries} tries; try again later"
        )
    if status >= 400:
        raise UpdateError(f"the DTM API answered HTTP {status} at {url} after {tries} tries")
    return Fetched("dtm-api-v3", level, url, response.content, today, API_LICENCE)


API_LICENCE = (
    "IOM DTM terms: non-commercial use, no redistribution or derivative works without IOM's "
    "permission, credit required (the terms IOM publishes with the same data on HDX, "
    "dataset global-iom-dtm-from-api, licence 'hdx-other')"
)


def fetch_api(
    base_url: str, key: str | None, today: dt.date, policy: RetryPolicy | None = None
) -> list[Fetched]:
    """Haiti's national and department figures, as received."""
    if not key or not key.strip():
        raise UpdateError(
            f"DTM_API_KEY is not set: get a free key at {KEY_PORTAL}, then run "
            "`make update DTM_API_KEY=...` (or `make update SOURCE=hdx`, which needs no key)"
        )
    policy = policy or RetryPolicy()
    with session(policy) as http:
        return [fetch_level(http, base_url, key.strip(), level, policy, today) for level in LEVELS]
