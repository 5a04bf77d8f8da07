"""The Connect flow's steps, as services: start, callback, pick.

State lives in the staff user's session: each flow is a random ``state`` bound to the user
and the platform, used once, expiring after ``FLOW_SECONDS``. The tokens between consent
and the pick are kept encrypted in the session (never in a URL or a message) and dropped
after the pick or after ``PICK_SECONDS``.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils.translation import gettext as _

from quiz_backend.encryption import decrypt, encrypt
from social_media.oauth.provider import (
    ConnectError,
    Destination,
    Grant,
    OAuthProvider,
    redirect_uri,
)
from social_media.platforms.registry import PLATFORMS
from social_media.platforms.spec import Route
from webhooks.models import SocialMediaCredentials

if TYPE_CHECKING:
    from social_media.platforms.base import BasePlatform

logger = logging.getLogger("social_media")

FLOWS_KEY = "oauth_flows"
PICK_KEY = "oauth_pick"
FLOW_SECONDS = 10 * 60  # from the Connect click to the callback
PICK_SECONDS = 10 * 60  # from the callback to the pick
MAX_FLOWS = 5  # open flows per session (older ones are dropped)


class FlowError(Exception):
    """A refused step; ``message`` is shown in the admin as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def provider_of(platform_key: str) -> tuple[BasePlatform, OAuthProvider]:
    platform = PLATFORMS.get(platform_key)
    provider = platform.oauth_provider() if platform is not None else None
    if platform is None or provider is None:
        raise FlowError(_("This platform has no Connect button."))
    return platform, provider


def connectable() -> list[tuple[BasePlatform, OAuthProvider]]:
    """Every platform with an OAuth provider, in registry order."""
    found = []
    for platform in PLATFORMS.values():
        provider = platform.oauth_provider()
        if provider is not None:
            found.append((platform, provider))
    return found


# --- 1. start ---------------------------------------------------------------------------------
def flow_start(
    *, session: SessionBase, user_id: int, platform_key: str, credential_id: int | None
) -> str:
    """A new flow in the session; returns the provider's authorize URL to redirect to."""
    platform, provider = provider_of(platform_key)
    if not provider.configured():
        names = [provider.client_id_setting, provider.client_secret_setting]
        raise FlowError(
            _("%(platform)s: set %(settings)s first (see the README).")
            % {"platform": platform.label, "settings": ", ".join(n for n in names if n)}
        )
    if credential_id is not None:
        credential = SocialMediaCredentials.objects.filter(pk=credential_id).first()
        if credential is None:
            raise FlowError(_("The credential to reconnect does not exist."))
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)[:96]
    flows = _live_flows(session)
    flows[state] = {
        "platform": platform_key,
        "user": user_id,
        "verifier": verifier,
        "credential": credential_id,
        "started": time.time(),
    }
    session[FLOWS_KEY] = dict(sorted(flows.items(), key=lambda kv: kv[1]["started"])[-MAX_FLOWS:])
    return provider.authorization_url(
        redirect_uri=redirect_uri(platform_key), state=state, code_verifier=verifier
    )


def _live_flows(session: SessionBase) -> dict[str, dict[str, Any]]:
    stored = session.get(FLOWS_KEY)
    flows = stored if isinstance(stored, dict) else {}
    now = time.time()
    return {
        state: flow
        for state, flow in flows.items()
        if isinstance(flow, dict) and now - float(flow.get("started", 0)) < FLOW_SECONDS
    }


# --- 2. callback ------------------------------------------------------------------------------
def _take_flow(session: SessionBase, user_id: int, platform_key: str, state: str) -> dict[str, Any]:
    """The flow of ``state``, removed from the session (single use), or ``FlowError``."""
    stored = session.get(FLOWS_KEY)
    flows = dict(stored) if isinstance(stored, dict) else {}
    flow = flows.pop(state, None) if state else None
    session[FLOWS_KEY] = flows
    if not isinstance(flow, dict):
        raise FlowError(
            _(
                "The sign-in could not be matched to a Connect click in this browser session "
                "(it was used already, or started elsewhere). Nothing was saved; "
                "click Connect again."
            )
        )
    if time.time() - float(flow.get("started", 0)) >= FLOW_SECONDS:
        raise FlowError(
            _("The sign-in took too long and expired. Nothing was saved; click Connect again.")
        )
    if flow.get("user") != user_id or flow.get("platform") != platform_key:
        raise FlowError(_("The sign-in belongs to another user or platform. Nothing was saved."))
    return flow


def flow_callback(
    *, session: SessionBase, user_id: int, platform_key: str, query: Mapping[str, str]
) -> None:
    """Check the state, exchange the code, list the destinations; keep them for the pick."""
    platform, provider = provider_of(platform_key)
    flow = _take_flow(session, user_id, platform_key, query.get("state", ""))
    error = query.get("error", "")
    if error:
        if error in {"access_denied", "user_denied", "user_cancelled"}:
            raise FlowError(
                _("%(platform)s: access was not granted. Nothing was saved.")
                % {"platform": platform.label}
            )
        raise FlowError(
            _("%(platform)s refused the sign-in (%(error)s). Nothing was saved.")
            % {"platform": platform.label, "error": error[:100]}
        )
    code = query.get("code", "")
    if not code:
        raise FlowError(
            _("%(platform)s sent no authorization code. Nothing was saved.")
            % {"platform": platform.label}
        )
    extra = {name: query[name] for name in provider.callback_params if query.get(name)}
    try:
        grant = provider.exchange_code(
            code=code,
            redirect_uri=redirect_uri(platform_key),
            code_verifier=str(flow["verifier"]),
            extra=extra,
        )
        destinations = provider.list_destinations(grant)
    except ConnectError as failure:
        logger.warning("🔑 Подключение %s не удалось: %s", platform_key, failure.message)
        raise FlowError(
            _("%(platform)s: the sign-in failed (%(error)s). Nothing was saved; try again.")
            % {"platform": platform.label, "error": failure.message}
        ) from None
    if not destinations:
        raise FlowError(
            _(
                "%(platform)s: the account has nothing this site can publish to "
                "(no board, page, channel or community). Nothing was saved."
            )
            % {"platform": platform.label}
        )
    session[PICK_KEY] = {
        "platform": platform_key,
        "user": user_id,
        "credential": flow.get("credential"),
        "created": time.time(),
        "sealed": encrypt(json.dumps(_pack(grant, destinations))),
    }


@dataclass(frozen=True)
class Pending:
    platform_key: str
    credential_id: int | None
    grant: Grant
    destinations: list[Destination]


def _pack(grant: Grant, destinations: list[Destination]) -> dict[str, Any]:
    return {
        "grant": {
            "access_token": grant.access_token,
            "refresh_token": grant.refresh_token,
            "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
            "scopes": list(grant.scopes) if grant.scopes is not None else None,
            "extra": dict(grant.extra),
        },
        "destinations": [
            {
                "platform": d.platform,
                "id": d.id,
                "name": d.name,
                "extra_data": dict(d.extra_data),
                "access_token": d.access_token,
                "note": str(d.note),
                "never_expires": d.never_expires,
            }
            for d in destinations
        ],
    }


def pending_pick(*, session: SessionBase, user_id: int, platform_key: str) -> Pending:
    stored = session.get(PICK_KEY)
    if (
        not isinstance(stored, dict)
        or stored.get("user") != user_id
        or stored.get("platform") != platform_key
    ):
        raise FlowError(_("There is nothing to pick: click Connect first."))
    if time.time() - float(stored.get("created", 0)) >= PICK_SECONDS:
        session.pop(PICK_KEY, None)
        raise FlowError(_("The choice expired. Nothing was saved; click Connect again."))
    packed = json.loads(decrypt(str(stored["sealed"])))
    g = packed["grant"]
    grant = Grant(
        access_token=g["access_token"],
        refresh_token=g["refresh_token"],
        expires_at=datetime.fromisoformat(g["expires_at"]) if g["expires_at"] else None,
        scopes=tuple(g["scopes"]) if g["scopes"] is not None else None,
        extra=g["extra"],
    )
    destinations = [Destination(**d) for d in packed["destinations"]]
    credential = stored.get("credential")
    return Pending(
        platform_key, credential if isinstance(credential, int) else None, grant, destinations
    )


def missing_scopes(provider: OAuthProvider, grant: Grant) -> list[tuple[str, str, bool]]:
    """Scopes asked for but not granted: the name, what will not work without it, and
    whether publishing itself needs it."""
    if grant.scopes is None:
        return []
    granted = set(grant.scopes)
    return [
        (s.name, str(s.needed_for), s.required) for s in provider.scopes if s.name not in granted
    ]


def usable(destination: Destination, pending: Pending) -> str:
    """Why this destination cannot be picked ("" when it can)."""
    platform = PLATFORMS.get(destination.platform)
    if platform is None or not platform.supports(Route.API):
        return _("publishing there through the API is not available on this site")
    if pending.credential_id is not None:
        credential = SocialMediaCredentials.objects.filter(pk=pending.credential_id).first()
        if credential is not None and credential.platform != destination.platform:
            return _("the credential being reconnected is for another platform")
    return ""


# --- 3. pick ----------------------------------------------------------------------------------
def flow_pick(
    *, session: SessionBase, user_id: int, platform_key: str, choice: str
) -> tuple[SocialMediaCredentials, bool]:
    """Store the picked destination: update the reconnected (or matching) credential, or
    create one. Returns the credential and whether it was created."""
    _platform, provider = provider_of(platform_key)
    pending = pending_pick(session=session, user_id=user_id, platform_key=platform_key)
    chosen = next((d for d in pending.destinations if f"{d.platform}:{d.id}" == choice), None)
    if chosen is None:
        raise FlowError(_("Choose one of the listed accounts."))
    reason = usable(chosen, pending)
    if reason:
        raise FlowError(
            _("%(name)s cannot be used: %(reason)s.") % {"name": chosen.name, "reason": reason}
        )
    grant = pending.grant
    with transaction.atomic():
        credential = _credential_for(pending, chosen)
        created = credential.pk is None
        extra = dict(credential.extra_data) if isinstance(credential.extra_data, dict) else {}
        extra.update(chosen.extra_data)
        credential.platform = chosen.platform
        credential.extra_data = extra
        own_token = bool(chosen.access_token)
        credential.access_token = chosen.access_token or grant.access_token
        # No new refresh token (a provider that sends it on first consent only): the old stays.
        credential.refresh_token = (
            "" if own_token else grant.refresh_token or credential.refresh_token
        )
        credential.token_expires_at = (
            None if own_token and chosen.never_expires else grant.expires_at
        )
        credential.granted_scopes = list(grant.scopes) if grant.scopes is not None else []
        credential.oauth_params = {
            name: str(grant.extra[name])
            for name in provider.callback_params
            if grant.extra.get(name)
        }
        credential.needs_reconnect = False
        credential.last_error = ""
        credential.full_clean()
        credential.save()
    session.pop(PICK_KEY, None)
    if provider.refreshable and not grant.refresh_token and not chosen.access_token:
        logger.info("🔑 %s: без refresh token — понадобится переподключение", credential)
    logger.info("🔑 %s подключён (%s)", credential, "создан" if created else "обновлён")
    return credential, created


def _credential_for(pending: Pending, chosen: Destination) -> SocialMediaCredentials:
    if pending.credential_id is not None:
        found = (
            SocialMediaCredentials.objects.select_for_update()
            .filter(pk=pending.credential_id)
            .first()
        )
        if found is None:
            raise FlowError(
                _("The credential to reconnect was deleted meanwhile. Nothing was saved.")
            )
        return found
    # The same board / page / channel connected before: update it (its posts stay its own).
    for candidate in SocialMediaCredentials.objects.select_for_update().filter(
        platform=chosen.platform
    ):
        extra = candidate.extra_data if isinstance(candidate.extra_data, dict) else {}
        if all(str(extra.get(k, "")) == str(v) for k, v in chosen.extra_data.items()):
            return candidate
    return SocialMediaCredentials(platform=chosen.platform)


def connect_key_for(platform_key: str) -> str | None:
    """The platform whose Connect flow (re)connects a credential of ``platform_key``."""
    for platform, provider in connectable():
        if platform.key == platform_key or platform_key in provider.connects:
            return platform.key
    return None
