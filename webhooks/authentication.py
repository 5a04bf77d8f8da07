"""Who sent a callback: a Standard Webhooks signature or a bearer token, per webhook.

The signature is checked over the raw request body, before anything parses it:
``HMAC-SHA256(secret, "{webhook-id}.{webhook-timestamp}.{body}")`` as the
Standard Webhooks specification defines it. A webhook in bearer mode instead
sends its secret in ``Authorization: Bearer …`` (compared in constant time).
"""

from __future__ import annotations

import hmac
import logging
import re
import time

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions, status
from rest_framework.request import Request
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from quiz_backend.encryption import DecryptionError
from webhooks.models import CallbackAuth, Webhook, WebhookType

logger = logging.getLogger("social_media")

# Standard Webhooks: timestamps further than this from our clock are refused.
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60
MAX_MESSAGE_ID_LENGTH = 255
_MESSAGE_ID = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


class SecretsUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy(
        "Callback secrets cannot be decrypted; the server's keys are misconfigured."
    )
    default_code = "secrets_unavailable"


class WebhookCaller:
    """The authenticated sender of a callback: the webhook whose secret matched."""

    is_authenticated = True

    def __init__(self, webhook: Webhook | None, message_id: str = "") -> None:
        self.webhook = webhook
        self.message_id = message_id

    def __str__(self) -> str:
        return str(self.webhook) if self.webhook else "unsigned (development)"


def _refuse(message: str, code: str) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(message, code=code)


def _signature_headers(request: Request) -> dict[str, str]:
    meta = request.META
    return {
        "webhook-id": meta.get("HTTP_WEBHOOK_ID", "").strip(),
        "webhook-timestamp": meta.get("HTTP_WEBHOOK_TIMESTAMP", "").strip(),
        "webhook-signature": meta.get("HTTP_WEBHOOK_SIGNATURE", "").strip(),
    }


def _active_webhooks(mode: str) -> list[Webhook]:
    try:
        return list(
            Webhook.objects.filter(
                is_active=True, webhook_type=WebhookType.SOCIAL_MEDIA, callback_auth=mode
            )
        )
    except DecryptionError:
        logger.error("🔐 Callback: секреты вебхуков не расшифровываются (FIELD_ENCRYPTION_KEYS)")
        raise SecretsUnavailable() from None


def _check_message_id(message_id: str) -> None:
    if message_id and not _MESSAGE_ID.match(message_id):
        raise _refuse(
            _("webhook-id must be 1 to %(max)d printable ASCII characters without spaces.")
            % {"max": MAX_MESSAGE_ID_LENGTH},
            "bad_webhook_id",
        )
    # Standard Webhooks signs "{id}.{timestamp}.{body}" and asks that the id never
    # contain "." (spec/standard-webhooks.md, "Signature scheme").
    if "." in message_id:
        raise _refuse(
            _(
                'webhook-id must not contain a period ("."): the signature covers '
                '"id.timestamp.body" (Standard Webhooks).'
            ),
            "bad_webhook_id",
        )


def _check_timestamp(raw: str) -> None:
    if not re.fullmatch(r"[0-9]{1,12}", raw):  # str.isdigit() also takes "²", which int() refuses
        raise _refuse(
            _("webhook-timestamp must be whole seconds since the Unix epoch."), "bad_timestamp"
        )
    skew = int(raw) - time.time()
    if abs(skew) > TIMESTAMP_TOLERANCE_SECONDS:
        raise _refuse(
            _("webhook-timestamp is %(seconds)d s off the server's clock (at most 300 s allowed).")
            % {"seconds": abs(skew)},
            "stale_timestamp",
        )


def _signature_matches(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        StandardWebhook(secret).verify(body, headers, json_parse=False)
    except (WebhookVerificationError, ValueError):  # ValueError: malformed signature list
        return False
    return True


class CallbackAuthentication(authentication.BaseAuthentication):
    """Verify a callback against every active social-media webhook's current secrets."""

    def authenticate(self, request: Request) -> tuple[WebhookCaller, None] | None:
        headers = _signature_headers(request)
        _check_message_id(headers["webhook-id"])
        if headers["webhook-signature"]:
            return self._by_signature(request, headers)
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        if authorization:
            return self._by_bearer(authorization, headers["webhook-id"])
        if settings.SOCIAL_MEDIA_CALLBACK_ALLOW_UNSIGNED:
            logger.warning("⚠️ Принят неподписанный callback (SOCIAL_MEDIA_CALLBACK_ALLOW_UNSIGNED)")
            return WebhookCaller(None, headers["webhook-id"]), None
        return None  # the permission check answers 401 "not authenticated"

    def _by_signature(
        self, request: Request, headers: dict[str, str]
    ) -> tuple[WebhookCaller, None]:
        if not headers["webhook-id"] or not headers["webhook-timestamp"]:
            raise _refuse(
                _("A signed callback needs the webhook-id and webhook-timestamp headers."),
                "missing_header",
            )
        _check_timestamp(headers["webhook-timestamp"])
        body = request._request.body  # the exact bytes, before any JSON parsing
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise _refuse(_("The body is not valid UTF-8."), "bad_signature") from None
        for webhook in _active_webhooks(CallbackAuth.SIGNATURE):
            for secret in webhook.valid_secrets():
                if _signature_matches(secret, body, headers):
                    return WebhookCaller(webhook, headers["webhook-id"]), None
        raise _refuse(
            _("No webhook secret matches webhook-signature (sign the exact body bytes)."),
            "bad_signature",
        )

    def _by_bearer(self, authorization: str, message_id: str) -> tuple[WebhookCaller, None]:
        scheme, _sep, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _refuse(_("Use the header Authorization: Bearer <token>."), "bad_token")
        given = token.encode()
        for webhook in _active_webhooks(CallbackAuth.BEARER):
            for secret in webhook.valid_secrets():
                if hmac.compare_digest(given, secret.encode()):
                    return WebhookCaller(webhook, message_id), None
        raise _refuse(_("Unknown bearer token."), "bad_token")

    def authenticate_header(self, request: Request) -> str:
        return (
            'Signature realm="social-media-callback", '
            'headers="webhook-id webhook-timestamp webhook-signature"'
        )
