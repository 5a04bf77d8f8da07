"""The one place that talks HTTP to platforms: session, timeout, error mapping.

Platform clients subclass ``ApiClient`` and only describe endpoints and how the
platform's error bodies map to an ``Outcome``.
"""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import NameResolutionError, NewConnectionError

from quiz_backend.redaction import redact
from social_media.platforms.base import Outcome, PublishResult

if TYPE_CHECKING:
    from requests.sessions import _Settings

logger = logging.getLogger(__name__)

EXCERPT_LIMIT = 2000
USER_AGENT = "quiz-backend-social-publisher/1.0"


_per_thread = threading.local()


def shared_adapter(key: str = "", factory: type[HTTPAdapter] | None = None, **kwargs: Any) -> Any:
    """This thread's transport adapter for ``key``: its connection pool outlives one post.

    Every publish gets its own ``Session`` (headers, auth) but the keep-alive
    connections are reused, so a worker does not open a TCP (and TLS) connection
    per post. Per thread: the threads and gevent pools share no pool between posts
    running at once.
    """
    adapters: dict[str, HTTPAdapter] = _per_thread.__dict__.setdefault("adapters", {})
    adapter = adapters.get(key)
    if adapter is None:
        adapter = adapters[key] = (factory or HTTPAdapter)(**kwargs)
    return adapter


class PlatformSession(requests.Session):
    """A ``requests.Session`` on the thread's shared adapters; the environment's proxy
    settings are read once per URL origin, not on every request."""

    def __init__(self) -> None:
        super().__init__()
        adapter = shared_adapter()
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        if not self.trust_env or proxies:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        cache: dict[tuple[Any, ...], _Settings] = _per_thread.__dict__.setdefault("environment", {})
        origin = str(url).split("/", 3)[:3]
        key = (*origin, stream, verify, cert)
        found = cache.get(key)
        if found is None:
            found = cache[key] = super().merge_environment_settings(
                url, proxies, stream, verify, cert
            )
        merged = found.copy()
        merged["proxies"] = dict(found["proxies"])  # the caller may change its copy
        return merged

    def close(self) -> None:
        """The adapters belong to the thread, not to this session: leave them open."""


def get_session() -> requests.Session:
    """A session for platform calls; the seam tests and adapters hook into."""
    session = PlatformSession()
    session.headers["User-Agent"] = USER_AGENT
    # Redirects are refused per request (allow_redirects=False). Do not set
    # max_redirects=0: requests then raises TooManyRedirects on any 3xx answer
    # and the status and body are lost.
    return session


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


@dataclass
class ApiError(Exception):
    """A platform call that did not succeed, already classified."""

    outcome: Outcome
    message: str
    http_status: int | None = None
    retry_after: float | None = None
    excerpt: str = ""
    spam: bool = False  # a spam or flood answer: pacing slows the target down

    def __str__(self) -> str:
        return self.message

    def to_result(self) -> PublishResult:
        return PublishResult(
            outcome=self.outcome,
            http_status=self.http_status,
            error_message=self.message,
            retry_after=self.retry_after,
            response_excerpt=self.excerpt,
            spam=self.spam,
        )


def _nothing_was_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection failed before any byte of the request left."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError | NameResolutionError)


@dataclass
class ApiClient:
    """Base client: one timeout, one session, secrets redacted, errors classified."""

    base_url: str
    secrets: Iterable[str] = ()
    timeout: float | None = None
    platform_name: str = "platform"
    session: requests.Session = field(default_factory=get_session)
    last_status: int | None = field(default=None, init=False)
    last_excerpt: str = field(default="", init=False)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def excerpt(self, text: str) -> str:
        # Redact the whole text first: a cut could split a secret and hide it from masking.
        return self.redact(text)[:EXCERPT_LIMIT]

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and return its decoded JSON body, or raise ``ApiError``."""
        url = path if path.startswith("http") else f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"
        timeout = self.timeout or settings.SOCIAL_MEDIA_HTTP_TIMEOUT
        started = time.monotonic()
        try:
            response = self._transmit(method, url, timeout, kwargs)
        except requests.ConnectionError as exc:
            if _nothing_was_sent(exc):
                raise ApiError(
                    Outcome.TRANSIENT,
                    f"{self.platform_name}: could not connect ({type(exc).__name__}).",
                ) from None
            raise ApiError(
                Outcome.UNKNOWN,
                f"{self.platform_name}: connection lost after sending ({type(exc).__name__}); "
                "the request may have been processed.",
            ) from None
        except requests.Timeout:
            raise ApiError(
                Outcome.UNKNOWN,
                f"{self.platform_name}: no answer within {timeout:g} s; "
                "the request may have been processed.",
            ) from None
        except requests.exceptions.ChunkedEncodingError:
            # The answer started arriving, so the request reached the platform.
            raise ApiError(
                Outcome.UNKNOWN,
                f"{self.platform_name}: the answer was cut off; "
                "the request may have been processed.",
            ) from None
        except requests.RequestException as exc:
            raise ApiError(
                Outcome.PERMANENT, f"{self.platform_name}: request failed ({type(exc).__name__})."
            ) from None
        duration_ms = int((time.monotonic() - started) * 1000)
        self.last_status = response.status_code
        self.last_excerpt = self.excerpt(response.text)
        logger.info(
            "%s %s %s -> %s in %d ms",
            self.platform_name,
            method,
            self.redact(url.split("?")[0]),
            response.status_code,
            duration_ms,
        )
        body = self._decode(response)
        if response.status_code >= 300:
            raise self.error_from_response(response, body)
        if body is None:
            raise ApiError(
                Outcome.UNKNOWN,
                f"{self.platform_name}: answered {response.status_code} with a body that is not "
                "JSON; the post may exist.",
                http_status=response.status_code,
                excerpt=self.last_excerpt,
            )
        return body

    def _transmit(
        self, method: str, url: str, timeout: float, kwargs: dict[str, Any]
    ) -> requests.Response:
        """``session.request(…, allow_redirects=False)`` without the parts a platform call
        never uses: cookies, ``.netrc`` look-ups, hooks and redirect handling (about a
        third of a request's CPU). The session's headers, auth, adapters and environment
        settings still apply."""
        session = self.session
        headers = CaseInsensitiveDict(session.headers)
        for name, value in (kwargs.pop("headers", None) or {}).items():
            if value is None:  # as requests merges: None removes the session's header
                headers.pop(name, None)
            else:
                headers[name] = value
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=method.upper(),
            url=url,
            headers=headers,
            files=kwargs.pop("files", None),
            data=kwargs.pop("data", None),
            json=kwargs.pop("json", None),
            params=kwargs.pop("params", None),
            auth=kwargs.pop("auth", None) or session.auth,
        )
        if kwargs:
            raise TypeError(f"Unsupported request arguments: {', '.join(sorted(kwargs))}")
        target = str(prepared.url)
        sending: dict[str, Any] = dict(
            session.merge_environment_settings(target, {}, None, None, None)
        )
        return session.get_adapter(target).send(prepared, timeout=timeout, **sending)

    @staticmethod
    def _decode(response: requests.Response) -> Any:
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            return None

    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        """Classify a non-2xx answer; platforms override to read their error bodies."""
        return self.generic_error(response, f"HTTP {response.status_code}")

    def generic_error(self, response: requests.Response, message: str) -> ApiError:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            outcome = Outcome.RATE_LIMITED
        elif status >= 500 or status == 408:
            outcome = Outcome.TRANSIENT
        elif status == 401:
            outcome = Outcome.AUTH
        else:
            outcome = Outcome.PERMANENT
        return ApiError(
            outcome,
            f"{self.platform_name}: {self.redact(message)}",
            http_status=status,
            retry_after=retry_after,
            excerpt=self.last_excerpt,
        )
