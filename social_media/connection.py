"""Connection health: does a credential still reach its account, does a webhook answer?

Verdicts are for the admin: translated, and built only from redacted platform
messages, so a token never appears in them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from social_media.http import ApiError
from social_media.platforms.base import Outcome
from social_media.platforms.facebook import GraphClient, page_of
from social_media.platforms.pinterest import PinterestClient, board_of
from social_media.platforms.webhook import send_signed
from social_media.url_guard import UnsafeUrlError
from webhooks.models import SocialMediaCredentials, Webhook

TEST_EXCERPT_LIMIT = 200


# Admin checks run inside a web request: a silent platform must not hold it for the
# publishing timeout (SOCIAL_MEDIA_HTTP_TIMEOUT) per call.
CHECK_TIMEOUT = 5.0


@dataclass(frozen=True)
class ConnectionVerdict:
    ok: bool
    message: str


def credential_test_connection(*, credential: SocialMediaCredentials) -> ConnectionVerdict:
    """Ask the platform whether the credential's token and account work.

    A rejected token flags the credential ``needs_reconnect``; a success clears
    the flag; a network failure changes nothing.
    """
    if not credential.access_token:
        return ConnectionVerdict(False, _("No access token is set."))
    if credential.platform == "pinterest":
        verdict, rejected = _test_pinterest(credential)
    elif credential.platform == "facebook":
        verdict, rejected = _test_facebook(credential)
    else:
        return ConnectionVerdict(False, _("This platform has no connection test."))
    if rejected is not None:
        _flag(credential, rejected)
    elif verdict.ok and credential.needs_reconnect:
        _unflag(credential)
    return verdict


def _flag(credential: SocialMediaCredentials, error: str) -> None:
    credential.needs_reconnect = True
    credential.last_error = error
    credential.save(update_fields=["needs_reconnect", "last_error", "updated_at"])


def _unflag(credential: SocialMediaCredentials) -> None:
    credential.needs_reconnect = False
    credential.last_error = ""
    credential.save(update_fields=["needs_reconnect", "last_error", "updated_at"])


def _unreachable(platform: str, error: ApiError) -> ConnectionVerdict | None:
    """The verdict for a call that got no answer (``None`` when it did)."""
    if error.http_status is None:
        return ConnectionVerdict(
            False,
            _("Could not reach %(platform)s (%(error)s). Nothing was changed; try again later.")
            % {"platform": platform, "error": error.message},
        )
    return None


def _rejected(error: ApiError) -> ConnectionVerdict:
    return ConnectionVerdict(
        False,
        _("Token rejected (%(error)s). Enter a new token to reconnect the account.")
        % {"error": error.message},
    )


def _test_pinterest(
    credential: SocialMediaCredentials,
) -> tuple[ConnectionVerdict, str | None]:
    client = PinterestClient(token=credential.access_token)
    client.timeout = CHECK_TIMEOUT
    try:
        account = client.get_user_account()
    except ApiError as error:
        if verdict := _unreachable("Pinterest", error):
            return verdict, None
        if error.outcome == Outcome.AUTH:
            return _rejected(error), error.message
        return ConnectionVerdict(False, error.message), None
    username = str(account.get("username") or "?") if isinstance(account, dict) else "?"
    board_id = board_of(credential)
    if not board_id:
        return ConnectionVerdict(
            False,
            _("Connected as %(user)s, but no board_id is set in the extra data.")
            % {"user": username},
        ), None
    try:
        board = client.get_board(board_id=board_id)
    except ApiError as error:
        if verdict := _unreachable("Pinterest", error):
            return verdict, None
        if error.http_status == 404:
            message = _("Connected as %(user)s, but board %(board)s was not found (%(error)s).")
            return ConnectionVerdict(
                False, message % {"user": username, "board": board_id, "error": error.message}
            ), None
        if error.outcome == Outcome.AUTH:
            return _rejected(error), error.message
        return ConnectionVerdict(False, error.message), None
    name = str(board.get("name") or board_id) if isinstance(board, dict) else board_id
    return ConnectionVerdict(
        True, _("Connected as %(user)s, board “%(board)s”.") % {"user": username, "board": name}
    ), None


def _test_facebook(
    credential: SocialMediaCredentials,
) -> tuple[ConnectionVerdict, str | None]:
    page_id = page_of(credential)
    if not page_id:
        return ConnectionVerdict(False, _("No page_id is set in the extra data.")), None
    client = GraphClient(token=credential.access_token)
    client.timeout = CHECK_TIMEOUT
    try:
        page = client.get_page(page_id=page_id)
    except ApiError as error:
        if verdict := _unreachable("Facebook", error):
            return verdict, None
        if error.outcome == Outcome.AUTH:
            return _rejected(error), error.message
        return ConnectionVerdict(
            False,
            _("Page %(page)s cannot be read (%(error)s).")
            % {"page": page_id, "error": error.message},
        ), None
    name = str(page.get("name") or page_id) if isinstance(page, dict) else page_id
    connected = _("Connected to page “%(page)s”.") % {"page": name}
    if not (settings.FACEBOOK_APP_ID and settings.FACEBOOK_APP_SECRET):
        return ConnectionVerdict(True, connected), None
    return _debug_facebook_token(credential, connected)


def _debug_facebook_token(
    credential: SocialMediaCredentials, connected: str
) -> tuple[ConnectionVerdict, str | None]:
    app_token = f"{settings.FACEBOOK_APP_ID}|{settings.FACEBOOK_APP_SECRET}"
    client = GraphClient(token=app_token, secrets=[credential.access_token])
    client.timeout = CHECK_TIMEOUT
    try:
        info = client.debug_token(input_token=credential.access_token)
    except ApiError as error:
        message = _("%(connected)s The token check failed: %(error)s") % {
            "connected": connected,
            "error": error.message,
        }
        return ConnectionVerdict(True, message), None
    if info.get("is_valid") is False:
        reason = "Facebook: debug_token says the token is not valid."
        return ConnectionVerdict(
            False, _("Token rejected: Facebook says it is not valid. Enter a new token.")
        ), reason
    expires_at = info.get("expires_at")
    if isinstance(expires_at, int) and expires_at > 0:
        when = datetime.fromtimestamp(expires_at, tz=UTC)
        if credential.token_expires_at != when:
            credential.token_expires_at = when
            credential.save(update_fields=["token_expires_at", "updated_at"])
        local = formats.date_format(timezone.localtime(when), "DATETIME_FORMAT")
        detail = _("The token is valid until %(when)s.") % {"when": local}
    else:
        detail = _("The token does not expire.")
    return ConnectionVerdict(True, f"{connected} {detail}"), None


@dataclass(frozen=True)
class WebhookTestAnswer:
    ok: bool
    message: str
    http_status: int | None = None


def build_test_event(webhook: Webhook) -> dict:
    """A payload clearly marked as a test; receivers should ignore it."""
    targets = webhook.target_platforms if isinstance(webhook.target_platforms, list) else []
    return {
        "event": "test",
        "test": True,
        "platform": targets[0] if targets else None,
        "task_id": None,
        "message": "Test event from the quiz backend admin; no task was published.",
        "sent_at": timezone.now().isoformat(),
    }


def webhook_send_test_event(*, webhook: Webhook) -> WebhookTestAnswer:
    """POST a signed test event through the same URL guard and signing as real posts."""
    body = json.dumps(build_test_event(webhook), ensure_ascii=False, separators=(",", ":"))
    try:
        client = send_signed(
            webhook,
            body=body,
            message_id=f"msg_test_{uuid.uuid4().hex}",
            timeout=CHECK_TIMEOUT,
        )
    except UnsafeUrlError as error:
        return WebhookTestAnswer(False, _("Refused: %(error)s") % {"error": error})
    except ApiError as error:
        if error.http_status is None:
            return WebhookTestAnswer(
                False,
                _("Could not reach the webhook (%(error)s).") % {"error": error.message},
            )
        ok = 200 <= error.http_status < 300  # 2xx with a plain-text body ("Accepted")
        return _answer(ok, error.http_status, error.excerpt)
    return _answer(True, client.last_status, client.last_excerpt)


def _answer(ok: bool, status: int | None, excerpt: str) -> WebhookTestAnswer:
    text = " ".join(excerpt.split())
    if len(text) > TEST_EXCERPT_LIMIT:
        text = text[: TEST_EXCERPT_LIMIT - 1] + "…"
    message = _("Answered HTTP %(status)s: %(body)s") % {
        "status": status,
        "body": text or _("(empty body)"),
    }
    return WebhookTestAnswer(ok, message, status)
