"""Connection health: does a credential still reach its account, does a webhook answer?

Verdicts are for the admin: translated, and built only from redacted platform
messages, so a token never appears in them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from social_media.http import ApiError
from social_media.platforms.base import ConnectionVerdict
from social_media.platforms.checks import CHECK_TIMEOUT
from social_media.platforms.registry import PLATFORMS
from social_media.platforms.webhook import send_signed
from social_media.url_guard import UnsafeUrlError
from webhooks.models import SocialMediaCredentials, Webhook

TEST_EXCERPT_LIMIT = 200


def credential_test_connection(*, credential: SocialMediaCredentials) -> ConnectionVerdict:
    """Ask the platform whether the credential's token and account work.

    A rejected token flags the credential ``needs_reconnect``; a success clears
    the flag; a network failure changes nothing.
    """
    if not credential.access_token:
        return ConnectionVerdict(False, _("No access token is set."))
    platform = PLATFORMS.get(credential.platform)
    tested = platform.test_connection(credential) if platform else None
    if tested is None:
        return ConnectionVerdict(False, _("This platform has no connection test."))
    verdict, rejected = tested
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
