"""Who sent a callback: a Standard Webhooks signature or a bearer token, per webhook."""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from webhooks.models import CallbackAuth, Webhook, WebhookType

logger = logging.getLogger("social_media")


class WebhookCaller:
    """The authenticated sender of a callback: the webhook whose secret matched."""

    is_authenticated = True

    def __init__(self, webhook: Webhook | None, message_id: str = "") -> None:
        self.webhook = webhook
        self.message_id = message_id

    def __str__(self) -> str:
        return str(self.webhook) if self.webhook else "unsigned (development)"


def _signature_headers(request: Request) -> dict[str, str]:
    meta = request.META
    return {
        "webhook-id": meta.get("HTTP_WEBHOOK_ID", ""),
        "webhook-timestamp": meta.get("HTTP_WEBHOOK_TIMESTAMP", ""),
        "webhook-signature": meta.get("HTTP_WEBHOOK_SIGNATURE", ""),
    }


class CallbackAuthentication(authentication.BaseAuthentication):
    """Verify the raw body against every active social-media webhook's secrets."""

    def authenticate(self, request: Request):
        raw_body = request._request.body  # the exact bytes, before any JSON parsing
        headers = _signature_headers(request)
        bearer = request.META.get("HTTP_AUTHORIZATION", "")
        webhooks = list(
            Webhook.objects.filter(is_active=True, webhook_type=WebhookType.SOCIAL_MEDIA)
        )
        if headers["webhook-signature"]:
            if not headers["webhook-id"] or not headers["webhook-timestamp"]:
                raise exceptions.AuthenticationFailed(
                    "Missing webhook-id or webhook-timestamp header.", code="bad_signature"
                )
            last_error = "No matching signature found."
            for webhook in webhooks:
                if webhook.callback_auth != CallbackAuth.SIGNATURE:
                    continue
                for secret in webhook.valid_secrets():
                    try:
                        StandardWebhook(secret).verify(raw_body, headers)
                    except WebhookVerificationError as error:
                        last_error = str(error)
                        if "timestamp" in last_error.lower():
                            raise exceptions.AuthenticationFailed(
                                f"Signature refused: {last_error}", code="bad_signature"
                            ) from None
                        continue
                    return WebhookCaller(webhook, headers["webhook-id"]), None
            raise exceptions.AuthenticationFailed(
                f"Signature refused: {last_error}", code="bad_signature"
            )
        if bearer.lower().startswith("bearer "):
            token = bearer[7:].strip()
            for webhook in webhooks:
                if webhook.callback_auth != CallbackAuth.BEARER:
                    continue
                for secret in webhook.valid_secrets():
                    if hmac.compare_digest(token.encode(), secret.encode()):
                        return WebhookCaller(webhook, headers["webhook-id"]), None
            raise exceptions.AuthenticationFailed("Unknown bearer token.", code="bad_token")
        if settings.SOCIAL_MEDIA_CALLBACK_ALLOW_UNSIGNED:
            logger.warning("⚠️ Принят неподписанный callback (SOCIAL_MEDIA_CALLBACK_ALLOW_UNSIGNED)")
            return WebhookCaller(None, headers["webhook-id"]), None
        return None

    def authenticate_header(self, request: Request) -> str:
        return (
            'Signature realm="social-media-callback", '
            'headers="webhook-id webhook-timestamp webhook-signature"'
        )
