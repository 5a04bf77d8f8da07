"""What a platform tells the generic Connect flow about its OAuth provider.

The authorization-code flow itself (authorize URL, state, PKCE, token and refresh requests)
is Authlib's ``OAuth2Session``; a provider only says where its endpoints are, which scopes it
asks for, how its app identifies itself, and how to list what the account can publish to.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise

from quiz_backend.redaction import redact
from social_media.http import USER_AGENT
from social_media.platforms.base import platform_setting

TOKEN_TIMEOUT = 10.0
#: Account ids a token answer may carry (TikTok's ``open_id``, VK ID's ``user_id``).
ACCOUNT_IDS = ("open_id", "user_id")


class ConnectError(Exception):
    """The provider refused or failed; ``message`` is safe to show (no token, no code)."""

    def __init__(self, message: str, *, rejected: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.rejected = rejected  # the provider refused the grant (not a network failure)


@dataclass(frozen=True)
class Scope:
    """A scope the provider is asked for, and what does not work without it."""

    name: str
    needed_for: str | Promise
    required: bool = True  # without it nothing can be published: the pick page says so


@dataclass(frozen=True)
class Grant:
    """A token answer, made uniform. ``extra`` holds non-secret ids the provider returned."""

    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None
    scopes: tuple[str, ...] | None = None  # None: the provider did not say
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Destination:
    """One thing the account can publish to: a board, a page, a channel, a community."""

    platform: str  # the credential's platform key (a Facebook page's Instagram: another key)
    id: str
    name: str
    extra_data: Mapping[str, Any]
    access_token: str = ""  # its own token (a page token); empty: the grant's token
    note: str | Promise = ""
    never_expires: bool = False  # its own token has no expiry (Facebook page tokens)


@dataclass(frozen=True)
class OAuthProvider:
    """A platform's OAuth provider. Settings are named, and read when used."""

    authorize_url_setting: str
    token_url: Callable[[], str]
    client_id_setting: str
    scopes: tuple[Scope, ...]
    #: What the account can publish to (raises ``ConnectError``); called once after consent.
    list_destinations: Callable[[Grant], list[Destination]]
    #: Empty for a public client (VK ID: PKCE, no secret).
    client_secret_setting: str = ""
    scope_separator: str = " "
    pkce: bool = False
    #: How the app authenticates at the token endpoint (Authlib's method names, or
    #: "client_key_post": TikTok's ``client_key`` + ``client_secret`` in the form).
    client_auth: str = "client_secret_post"
    exchange_method: str = "POST"
    client_id_param: str = "client_id"
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    #: Query parameters of the callback that the code exchange (and refreshes) need, e.g.
    #: VK ID's ``device_id``; they are kept in the credential's ``oauth_params``.
    callback_params: tuple[str, ...] = ()
    #: Extra fields of the code grant (Pinterest: ``continuous_refresh``).
    code_params: Mapping[str, str] = field(default_factory=dict)
    #: Whether the token requests carry a ``state`` too (VK ID asks for one).
    token_state: bool = False
    #: After the code exchange (Facebook: a long-lived token, the granted permissions).
    finish: Callable[[Grant], Grant] | None = None
    #: Whether an access token expires and the refresh grant renews it.
    refreshable: bool = True
    #: How long before expiry the hourly job refreshes a token (over an hour: a token that
    #: lives an hour is renewed at every run, before it expires); a callable reads a setting.
    refresh_before: timedelta | Callable[[], timedelta] = timedelta(minutes=70)
    #: Whether the hourly job also refreshes tokens of unknown expiry (so it becomes known).
    refresh_unknown_expiry: bool = False
    #: Whether the refresh grant names the scopes asked for (Authlib's default); off where the
    #: provider's refresh grant documents no ``scope`` (Pinterest, TikTok).
    refresh_scope: bool = True
    #: Headers of every token request (TikTok documents ``Cache-Control: no-cache``).
    token_headers: Mapping[str, str] = field(default_factory=dict)
    #: Other platform keys its destinations may be (Facebook: the page's Instagram account);
    #: their credentials are reconnected through this provider.
    connects: tuple[str, ...] = ()

    def client_id(self) -> str:
        return str(platform_setting(self.client_id_setting) or "")

    def client_secret(self) -> str:
        if not self.client_secret_setting:
            return ""
        return str(platform_setting(self.client_secret_setting) or "")

    def configured(self) -> bool:
        """App id and secret are set (VK ID's public client needs no secret)."""
        secret_ok = self.client_auth == "none" or bool(self.client_secret())
        return bool(self.client_id()) and secret_ok

    def scope_names(self) -> tuple[str, ...]:
        return tuple(scope.name for scope in self.scopes)

    def refresh_margin(self) -> timedelta:
        """``refresh_before``, read now when it is a callable."""
        before = self.refresh_before
        return before if isinstance(before, timedelta) else before()

    def session(self, redirect_uri: str = "") -> OAuth2Session:
        auth = "client_secret_post" if self.client_auth == "client_key_post" else self.client_auth
        client = OAuth2Session(
            client_id=self.client_id(),
            client_secret=self.client_secret() or None,
            token_endpoint_auth_method=auth,
            scope=self.scope_separator.join(self.scope_names()),
            redirect_uri=redirect_uri or None,
            code_challenge_method="S256" if self.pkce else None,
            default_timeout=TOKEN_TIMEOUT,
        )
        client.headers["User-Agent"] = USER_AGENT
        client.headers.update(self.token_headers)
        if self.client_auth == "client_key_post":
            client.register_client_auth_method(("client_secret_post", _client_key_post))
        for hook in ("access_token_response", "refresh_token_response"):
            client.register_compliance_hook(hook, _checked_answer)
        return client

    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str) -> str:
        url, _state = self.session(redirect_uri).create_authorization_url(
            platform_setting(self.authorize_url_setting),
            state=state,
            code_verifier=code_verifier if self.pkce else None,
            **dict(self.authorize_params),
        )
        if self.client_id_param != "client_id":
            url = _rename_param(url, "client_id", self.client_id_param)
        return str(url)

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str, extra: Mapping[str, str]
    ) -> Grant:
        """The code for tokens (then ``finish``): raises ``ConnectError``."""
        params = {**self.code_params, **extra}
        if self.pkce:
            params["code_verifier"] = code_verifier
        if self.token_state:
            params["state"] = secrets.token_urlsafe(16)
        answer = self.call(
            lambda client: client.fetch_token(
                self.token_url(),
                grant_type="authorization_code",
                code=code,
                method=self.exchange_method,
                **params,
            ),
            redirect_uri=redirect_uri,
            secrets=(code,),
        )
        grant = self.grant_of(answer, extra)
        return self.finish(grant) if self.finish is not None else grant

    def refresh(self, *, refresh_token: str, extra: Mapping[str, str]) -> Grant:
        params: dict[str, str | None] = {**extra}
        if self.token_state:
            params["state"] = secrets.token_urlsafe(16)
        if not self.refresh_scope:
            params["scope"] = None  # Authlib then sends none
        answer = self.call(
            lambda client: client.refresh_token(
                self.token_url(), refresh_token=refresh_token, **params
            ),
            secrets=(refresh_token,),
        )
        grant = self.grant_of(answer, extra)
        if not grant.refresh_token:  # not rotated: the one sent stays valid
            grant = Grant(
                grant.access_token, refresh_token, grant.expires_at, grant.scopes, grant.extra
            )
        return grant

    def call(
        self,
        request: Callable[[OAuth2Session], Any],
        *,
        redirect_uri: str = "",
        secrets: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """One token request; every failure becomes a ``ConnectError`` with a safe message."""
        hidden = (*secrets, self.client_secret())
        try:
            with self.session(redirect_uri) as client:
                answer = request(client)
        except requests.Timeout:
            raise ConnectError("the token endpoint did not answer in time.") from None
        except requests.ConnectionError:
            raise ConnectError("the token endpoint could not be reached.") from None
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else "?"
            raise ConnectError(f"the token endpoint answered HTTP {status}.") from None
        except ValueError as error:  # not a JSON object
            raise ConnectError(redact(str(error), hidden)[:300]) from None
        except Exception as error:  # Authlib's OAuthError and its subclasses
            code = getattr(error, "error", None)
            if code is None:
                raise
            description = getattr(error, "description", "") or ""
            if isinstance(code, dict):  # Graph's {"error": {"message", "code"}}
                description, code = str(code.get("message") or ""), code.get("code", "error")
            text = f"{code}: {description}" if description else str(code)
            raise ConnectError(redact(text, hidden)[:300], rejected=True) from None
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise ConnectError("the token answer has no access_token.")
        return dict(answer)

    def grant_of(self, answer: Mapping[str, Any], extra: Mapping[str, str]) -> Grant:
        expires_in = answer.get("expires_in")
        expires_at = None
        if isinstance(expires_in, str) and expires_in.isdigit():
            expires_in = int(expires_in)  # some providers send it as a string
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            expires_at = timezone.now() + timedelta(seconds=expires_in) if expires_in > 0 else None
        scope = answer.get("scope")
        scopes = split_scopes(scope) if isinstance(scope, str) else None
        kept = dict(extra)
        for name in ACCOUNT_IDS:
            if answer.get(name) not in (None, ""):
                kept[name] = str(answer[name])
        refresh_token = answer.get("refresh_token")
        return Grant(
            access_token=str(answer["access_token"]),
            refresh_token=refresh_token if isinstance(refresh_token, str) else "",
            expires_at=expires_at,
            scopes=scopes,
            extra=kept,
        )


def split_scopes(value: str) -> tuple[str, ...]:
    """Scopes as providers send them: space- or comma-separated."""
    return tuple(part for part in value.replace(",", " ").split() if part)


def _checked_answer(response: requests.Response) -> requests.Response:
    """A token answer as Authlib should read it: a 429 is a wait, not a refusal (even with an
    OAuth ``error`` body), and a 4xx JSON object without ``error`` (Pinterest's ``{"code",
    "message"}``) is a refusal, not a token."""
    status = response.status_code
    if status == 429:
        response.raise_for_status()
    if 400 <= status < 500:
        try:
            body = response.json()
        except ValueError:
            return response  # not JSON: Authlib raises the HTTP error
        if isinstance(body, dict) and "error" not in body:
            message = body.get("message")
            raise OAuthError(error=f"HTTP {status}", description=str(message) if message else None)
    return response


def _client_key_post(client: Any, method: str, uri: str, headers: Any, body: str) -> Any:
    """TikTok's token endpoint: ``client_key`` and ``client_secret`` in the form body."""
    pairs = [*parse_qsl(body, keep_blank_values=True)]
    pairs += [("client_key", client.client_id), ("client_secret", client.client_secret)]
    return uri, headers, urlencode(pairs)


def _rename_param(url: str, old: str, new: str) -> str:
    parts = urlsplit(url)
    query = [(new if key == old else key, value) for key, value in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def redirect_uri(platform_key: str) -> str:
    """``{SITE_URL}/oauth/<platform>/callback/``: what operators register with the provider."""
    return f"{settings.SITE_URL.rstrip('/')}/oauth/{platform_key}/callback/"
