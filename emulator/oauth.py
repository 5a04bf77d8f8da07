"""Every OAuth provider the product connects to: consent pages, codes, token endpoints.

``GET /oauth/<provider>/authorize`` is the provider's consent page (Pinterest, Facebook Login,
Google, TikTok Login Kit, VK ID): it lists what the demo account can publish to, one checkbox
per scope asked for, and *Allow* / *Deny*. *Allow* redirects to ``redirect_uri`` with a code
(single use, ``code_seconds`` long, bound to the client, the redirect URI and the PKCE
challenge); *Deny* with ``error=access_denied``. A request the provider would refuse (no client
id, no redirect URI, VK ID without PKCE) gets an error page, not a redirect.

The code grants of the existing token endpoints (Pinterest ``/pinterest/v5/oauth/token``,
Google ``/google/oauth2/token``, TikTok ``/tiktok/v2/oauth/token/``) are checked here first and
then answered by them, with the granted scopes; Facebook's ``oauth/access_token`` (code and
``fb_exchange_token``), ``me/permissions`` and ``me/accounts``, Pinterest's ``GET /boards``,
VK ID's ``/vkid/oauth2/auth`` and VK's ``groups.get`` are answered here. Facts:
docs/platform-api-facts-native.md (§2.6, §3.6, §5.5, §6.1, §6.3).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from emulator.platforms import facebook, instagram, pinterest, tiktok, vk, youtube
from emulator.platforms.common import apply_settings
from emulator.state import EmulatorState
from emulator.wire import Request, Response, json_response, text_response

Handler = Callable[[EmulatorState, Request], Response]

BOARDS = [("549755885175", "Quiz demo board"), ("549755885176", "Quiz drafts")]
PAGE_ID = "104512345678901"


@dataclass
class Settings:
    code_seconds: int = 600  # an authorization code's life
    empty_accounts: bool = False  # the account has no boards / pages / channels / communities
    facebook_short_seconds: int = 5400  # Facebook's short-lived user token (hours)
    facebook_long_seconds: int = 5183944  # the long-lived one (about 60 days)
    vk_access_seconds: int = 3600  # VK ID access tokens: 1 hour


@dataclass
class OAuthStore:
    lock: threading.RLock
    settings: Settings = field(default_factory=Settings)
    offset: float = 0.0
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    fb_users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user token → grant
    vk_refresh: dict[str, str] = field(default_factory=dict)  # refresh token → device_id
    redeemed: list[dict[str, Any]] = field(default_factory=list)

    def now(self) -> float:
        return time.time() + self.offset

    def reset(self) -> None:
        with self.lock:
            self.codes.clear()
            self.fb_users.clear()
            self.vk_refresh.clear()
            self.redeemed.clear()
            self.offset = 0.0

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "oauth": {
                    "codes_issued": len(self.codes),
                    "redeemed": [dict(r) for r in self.redeemed],
                }
            }


def store_of(state: EmulatorState) -> OAuthStore:
    with state.lock:
        found = state.extensions.get("oauth")
        if not isinstance(found, OAuthStore):
            found = state.extensions["oauth"] = OAuthStore(state.lock)
        return found


# --- what each provider's consent page shows ----------------------------------------------
@dataclass(frozen=True)
class Provider:
    name: str
    title: str
    client_param: str
    scope_separator: str
    requires_pkce: bool
    items: Callable[[EmulatorState], list[str]]


def _boards(state: EmulatorState) -> list[str]:
    return [f"Board “{name}” ({board_id})" for board_id, name in BOARDS]


def _pages(state: EmulatorState) -> list[str]:
    return [
        f"Page “{facebook.PAGE_NAME}” ({PAGE_ID}) with Instagram @{instagram.USERNAME}",
    ]


def _channels(state: EmulatorState) -> list[str]:
    return [f"Channel “{youtube.CHANNEL_TITLE}” ({youtube.CHANNEL_ID})"]


def _creator(state: EmulatorState) -> list[str]:
    return [f"TikTok account @{tiktok.USERNAME}"]


def _communities(state: EmulatorState) -> list[str]:
    groups = vk.state_of(state).groups
    return [f"Community “{g.name}” ({g.id})" for g in groups.values()]


PROVIDERS = {
    p.name: p
    for p in (
        Provider("pinterest", "Pinterest", "client_id", ",", False, _boards),
        Provider("facebook", "Facebook", "client_id", ",", False, _pages),
        Provider("google", "Google", "client_id", " ", False, _channels),
        Provider("tiktok", "TikTok", "client_key", ",", False, _creator),
        Provider("vkid", "VK ID", "client_id", " ", True, _communities),
    )
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:560px;margin:2em auto;padding:0 1em}}
.card{{border:1px solid #ddd;border-radius:12px;padding:1em 1.5em}}button{{font-size:1em;
padding:.5em 1.5em;margin-right:1em}}small{{color:#666}}</style></head>
<body><p><small>Platform emulator · {title}</small></p>
<div class="card">{body}</div></body></html>"""


def _html(title: str, body: str, status: int = 200) -> Response:
    return text_response(_PAGE.format(title=escape(title), body=body), status, "text/html")


def _error_page(provider: Provider, message: str) -> Response:
    body = f"<h1>Something went wrong</h1><p class='oauth-error'>{escape(message)}</p>"
    return _html(provider.title, body, 400)


def _redirect(url: str, params: dict[str, str]) -> Response:
    joiner = "&" if urlsplit(url).query else "?"
    return Response(status=302, headers={"Location": url + joiner + urlencode(params)})


def _authorize_problem(provider: Provider, params: dict[str, str]) -> str:
    if not params.get(provider.client_param):
        return f"Missing required parameter: {provider.client_param}"
    redirect = params.get("redirect_uri", "")
    if urlsplit(redirect).scheme not in {"http", "https"}:
        return "redirect_uri is missing or not an absolute URL."
    if params.get("response_type") != "code":
        return "response_type must be code."
    if provider.requires_pkce and (
        not params.get("code_challenge")
        or params.get("code_challenge_method", "").lower() != "s256"
    ):
        return "code_challenge with code_challenge_method=s256 is required."
    return ""


def authorize(state: EmulatorState, request: Request) -> Response:
    provider = PROVIDERS.get(request.params["provider"])
    if provider is None:
        return text_response("Unknown provider", 404)
    params = dict(request.query)
    problem = _authorize_problem(provider, params)
    if problem:
        return _error_page(provider, problem)
    empty = store_of(state).settings.empty_accounts
    items = [] if empty else provider.items(state)
    listed = "".join(f"<li>{escape(item)}</li>" for item in items) or "<li>(nothing)</li>"
    scopes = [s for s in params.get("scope", "").replace(",", " ").split() if s]
    boxes = "".join(
        f'<label><input type="checkbox" name="granted" value="{escape(s)}" checked> '
        f"{escape(s)}</label><br>"
        for s in scopes
    )
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items()
    )
    body = (
        f"<h1>{escape(provider.title)}: allow “{escape(params[provider.client_param])}”?</h1>"
        f"<p>Signed in as the demo account. It can publish to:</p><ul>{listed}</ul>"
        f"<form method='post' action='/oauth/{provider.name}/decide'>{hidden}"
        f"<p>Permissions asked for:</p><p>{boxes}</p>"
        "<button type='submit' name='decision' value='allow' id='allow'>Allow</button>"
        "<button type='submit' name='decision' value='deny' id='deny'>Deny</button></form>"
    )
    return _html(provider.title, body)


def decide(state: EmulatorState, request: Request) -> Response:
    provider = PROVIDERS.get(request.params["provider"])
    if provider is None:
        return text_response("Unknown provider", 404)
    from urllib.parse import parse_qs

    raw = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    form = {k: v[-1] for k, v in raw.items()}
    problem = _authorize_problem(provider, form)
    if problem:
        return _error_page(provider, problem)
    back = {"state": form["state"]} if form.get("state") else {}
    if form.get("decision") != "allow":
        denied = {"error": "access_denied", "error_description": "The user denied access."}
        if provider.name == "facebook":
            denied["error_reason"] = "user_denied"
        return _redirect(form["redirect_uri"], {**denied, **back})
    found = store_of(state)
    code = secrets.token_urlsafe(24)
    device = secrets.token_urlsafe(16) if provider.name == "vkid" else ""
    entry: dict[str, Any] = {
        "provider": provider.name,
        "client_id": form[provider.client_param],
        "redirect_uri": form["redirect_uri"],
        "scopes": raw.get("granted", []),
        "challenge": form.get("code_challenge", ""),
        "issued": found.now(),
        "used": False,
        "device_id": device,
    }
    with found.lock:
        found.codes[code] = entry
    extra = {"device_id": device} if device else {}
    return _redirect(form["redirect_uri"], {"code": code, **back, **extra})


def _redeem(state: EmulatorState, provider: str, form: dict[str, str]) -> dict[str, Any] | str:
    """The code's grant (marked used), or why it is refused (an ``invalid_grant``)."""
    found = store_of(state)
    with found.lock:
        entry = found.codes.get(form.get("code", ""))
        if entry is None or entry["provider"] != provider:
            return "The authorization code is invalid."
        if entry["used"]:
            return "The authorization code has already been used."
        if found.now() - entry["issued"] >= found.settings.code_seconds:
            return "The authorization code has expired."
        client = form.get(PROVIDERS[provider].client_param, "")
        if client != entry["client_id"]:
            return "The authorization code was issued to another client."
        if form.get("redirect_uri", "") != entry["redirect_uri"]:
            return "redirect_uri does not match the one of the authorization request."
        if entry["challenge"]:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).decode().rstrip("=") != entry["challenge"]:
                return "code_verifier does not match the code_challenge."
        entry["used"] = True
        found.redeemed.append({"provider": provider, "scopes": list(entry["scopes"])})
        return dict(entry)


def _with_scope(response: Response, scope: str) -> Response:
    if response.status != 200:
        return response
    data = json.loads(response.body)
    data["scope"] = scope
    return json_response(data, response.status, response.headers)


# --- the token endpoints that exist elsewhere: the code grant is checked here first --------
def pinterest_token(state: EmulatorState, request: Request) -> Response:
    form = request.form()
    if form.get("grant_type") != "authorization_code":
        return pinterest.oauth_token(state, request)
    auth = request.header("authorization")
    try:
        client = base64.b64decode(auth[6:]).decode() if auth.lower().startswith("basic ") else ""
    except ValueError:
        client = ""
    grant = _redeem(state, "pinterest", {**form, "client_id": client.split(":", 1)[0]})
    if isinstance(grant, str):
        return pinterest.error(400, 283, grant)
    return _with_scope(pinterest.oauth_token(state, request), ",".join(grant["scopes"]))


def google_token(state: EmulatorState, request: Request) -> Response:
    form = request.form()
    if form.get("grant_type") != "authorization_code":
        return youtube.oauth_token(state, request)
    grant = _redeem(state, "google", form)
    if isinstance(grant, str):
        return youtube.oauth_error("invalid_grant", grant)
    return _with_scope(youtube.oauth_token(state, request), " ".join(grant["scopes"]))


def tiktok_token(state: EmulatorState, request: Request) -> Response:
    form = request.form()
    if form.get("grant_type") != "authorization_code":
        return tiktok.oauth_token(state, request)
    grant = _redeem(state, "tiktok", form)
    if isinstance(grant, str):
        return tiktok.oauth_error("invalid_grant", grant)
    return _with_scope(tiktok.oauth_token(state, request), ",".join(grant["scopes"]))


def pinterest_boards(state: EmulatorState, request: Request) -> Response:
    """``GET /boards``: the account's boards (``items``, ``bookmark``)."""
    if not request.bearer_token():
        return pinterest.auth_failed()
    empty = store_of(state).settings.empty_accounts
    items = [
        {"id": board_id, "name": name, "privacy": "PUBLIC", "owner": {"username": "quiz_demo"}}
        for board_id, name in ([] if empty else BOARDS)
    ]
    return json_response({"items": items, "bookmark": None})


def youtube_channels(state: EmulatorState, request: Request) -> Response:
    if store_of(state).settings.empty_accounts and request.query.get("mine") == "true":
        if not (request.bearer_token() or request.query.get("access_token")):
            return youtube.authenticate(request) or youtube.auth_error()
        return json_response(
            {"kind": "youtube#channelListResponse", "pageInfo": {"totalResults": 0}, "items": []}
        )
    return youtube.list_channels(state, request)


# --- Facebook Login ----------------------------------------------------------------------------
def _graph_params(request: Request) -> dict[str, str]:
    return {**request.query, **request.form()}


def facebook_access_token(state: EmulatorState, request: Request) -> Response:
    """``oauth/access_token``: the code grant (short-lived) and ``fb_exchange_token``."""
    params = _graph_params(request)
    found = store_of(state)
    if not params.get("client_id") or not params.get("client_secret"):
        return facebook.graph_error(400, 101, "Missing client_id or client_secret parameter.")
    if params.get("grant_type") == "fb_exchange_token":
        with found.lock:
            short = found.fb_users.get(params.get("fb_exchange_token", ""))
            if short is None or found.now() >= short["expires"]:
                return facebook.graph_error(400, 190, "Error validating access token.")
            token = "EAAB" + secrets.token_urlsafe(40).replace("-", "").replace("_", "")
            seconds = found.settings.facebook_long_seconds
            found.fb_users[token] = {**short, "expires": found.now() + seconds, "long": True}
        return json_response({"access_token": token, "token_type": "bearer", "expires_in": seconds})
    grant = _redeem(state, "facebook", params)
    if isinstance(grant, str):
        return facebook.graph_error(400, 100, grant)
    token = "EAAB" + secrets.token_urlsafe(40).replace("-", "").replace("_", "")
    seconds = found.settings.facebook_short_seconds
    with found.lock:
        found.fb_users[token] = {"scopes": grant["scopes"], "expires": found.now() + seconds}
    return json_response({"access_token": token, "token_type": "bearer", "expires_in": seconds})


def _fb_user(state: EmulatorState, request: Request) -> dict[str, Any] | Response:
    found = store_of(state)
    with found.lock:
        user = found.fb_users.get(facebook.token_of(request))
    if user is None or found.now() >= user["expires"]:
        return facebook.graph_error(400, 190, "Error validating access token.")
    return user


def facebook_permissions(state: EmulatorState, request: Request) -> Response:
    user = _fb_user(state, request)
    if isinstance(user, Response):
        return user
    granted = set(user["scopes"])
    asked = [*facebook.SCOPES, "instagram_basic", "instagram_content_publish"]
    rows = [{"permission": p, "status": "granted" if p in granted else "declined"} for p in asked]
    rows += [{"permission": p, "status": "granted"} for p in granted if p not in asked]
    return json_response({"data": rows})


def facebook_accounts(state: EmulatorState, request: Request) -> Response:
    """``me/accounts``: the pages, each with a page token (no expiry with a long-lived user
    token) and its Instagram professional account."""
    user = _fb_user(state, request)
    if isinstance(user, Response):
        return user
    if store_of(state).settings.empty_accounts or "pages_show_list" not in user["scopes"]:
        return json_response({"data": []})
    page: dict[str, Any] = {
        "id": PAGE_ID,
        "name": facebook.PAGE_NAME,
        "access_token": "EAAB" + secrets.token_urlsafe(40).replace("-", "").replace("_", ""),
        "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
    }
    if "instagram_basic" in user["scopes"]:
        page["instagram_business_account"] = {
            "id": instagram.IG_USER_ID,
            "username": instagram.USERNAME,
        }
    return json_response({"data": [page], "paging": {"cursors": {"before": "MA", "after": "MA"}}})


# --- VK ID -----------------------------------------------------------------------------------
def _vk_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def vkid_token(state: EmulatorState, request: Request) -> Response:
    """``POST id.vk.com/oauth2/auth``: the code (with PKCE) and refresh grants."""
    form = request.form()
    found = store_of(state)
    device = form.get("device_id", "")
    if not form.get("client_id") or not device:
        return _vk_error("invalid_request", "client_id and device_id are required.")
    grant = form.get("grant_type", "")
    if grant == "authorization_code":
        entry = _redeem(state, "vkid", form)
        if isinstance(entry, str):
            return _vk_error("invalid_grant", entry)
        if entry["device_id"] != device:
            return _vk_error("invalid_grant", "device_id does not match the code.")
        scopes = entry["scopes"]
    elif grant == "refresh_token":
        with found.lock:
            known = found.vk_refresh.pop(form.get("refresh_token", ""), None)
        if known != device:
            return _vk_error("invalid_grant", "The refresh token is invalid or expired.")
        scopes = form.get("scope", "").split() or ["wall", "groups", "photos"]
    else:
        return _vk_error("unsupported_grant_type", "grant_type is not supported.")
    vk_state = vk.state_of(state)
    access, refresh = "vk2.a." + secrets.token_urlsafe(32), "vk2.r." + secrets.token_urlsafe(32)
    vk_state.add_token(access, "user", user_id=vk.DEFAULT_USER_ID, groups=list(vk_state.groups))
    with found.lock:
        found.vk_refresh[refresh] = device
    return json_response(
        {
            "access_token": access,
            "refresh_token": refresh,
            "id_token": "eyJ.emulator.id-token",
            "token_type": "Bearer",
            "expires_in": found.settings.vk_access_seconds,
            "user_id": vk.DEFAULT_USER_ID,
            "state": form.get("state", ""),
            "scope": " ".join(scopes),
        }
    )


def vk_groups_get(state: EmulatorState, request: Request) -> Response:
    """``groups.get?filter=admin&extended=1``: the communities the user administers."""
    params = {**request.query, **request.form()}
    vk_state = vk.state_of(state)
    token = vk_state.tokens.get(params.get("access_token") or request.bearer_token())
    if token is None or token.token in vk_state.revoked:
        return json_response(
            vk.error_body(5, "User authorization failed: invalid access_token.", [])
        )
    if token.kind != "user":
        return json_response(vk.error_body(27, vk.ERRORS[27], []))
    empty = store_of(state).settings.empty_accounts
    groups = [] if empty else [vk_state.groups[g] for g in token.groups if g in vk_state.groups]
    if params.get("extended") in {"1", "true"}:
        items: list[Any] = [{**g.info(), "is_admin": 1, "admin_level": 3} for g in groups]
    else:
        items = [g.id for g in groups]
    return json_response({"response": {"count": len(items), "items": items}})


# --- control ---------------------------------------------------------------------------------
def control(state: EmulatorState, request: Request) -> Response:
    """``POST /_control/oauth``: settings (``code_seconds``, ``empty_accounts``, …) and
    ``advance_seconds`` (codes and Facebook user tokens age); ``GET``: what is set."""
    found = store_of(state)
    if request.method == "POST":
        data = request.json()
        if not isinstance(data, dict):
            return json_response({"error": "Send a JSON object."}, 400)
        advance = data.pop("advance_seconds", 0)
        if data.pop("defaults", False) is True:
            found.settings = Settings()
        problem = apply_settings(found.settings, data)
        if problem:
            return json_response({"error": problem}, 400)
        if isinstance(advance, int | float) and advance > 0:
            found.offset += advance
    return json_response({"settings": dict(vars(found.settings)), "clock_offset": found.offset})


# (method, full path pattern, handler, needs a token) — mounted before the stand-ins.
API_ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("POST", r"/pinterest/v5/oauth/token", pinterest_token, False),
    ("GET", r"/pinterest/v5/boards", pinterest_boards, False),
    ("POST", r"/google/oauth2/token", google_token, False),
    ("GET", r"/youtube/v3/channels", youtube_channels, False),
    ("POST", r"/tiktok/v2/oauth/token/", tiktok_token, False),
    *[
        (verb, rf"{facebook.PREFIX}/oauth/access_token", facebook_access_token, False)
        for verb in ("GET", "POST")
    ],
    ("GET", rf"{facebook.PREFIX}/me/permissions", facebook_permissions, False),
    ("GET", rf"{facebook.PREFIX}/me/accounts", facebook_accounts, False),
    *[(verb, r"/vk/method/groups\.get", vk_groups_get, False) for verb in ("GET", "POST")],
]
PAGE_ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", r"/oauth/(?P<provider>\w+)/authorize", authorize, False),
    ("POST", r"/oauth/(?P<provider>\w+)/decide", decide, False),
    ("POST", r"/vkid/oauth2/auth", vkid_token, False),
    *[(verb, r"/_control/oauth", control, False) for verb in ("GET", "POST")],
]
