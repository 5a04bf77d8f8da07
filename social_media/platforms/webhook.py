"""The webhook route: a Make.com / Zapier scenario posts for the platform and calls back.

Any platform whose ``routes`` include ``Route.WEBHOOK`` can be served this way: delivery
sends a post whose target is a webhook through ``deliver_to_webhook``. A platform served
only this way subclasses ``WebhookPlatform`` in its own package (setting ``key``,
``label``, ``text_limits`` and ``media_requirements``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from standardwebhooks import Webhook as StandardWebhook

from social_media.captions import captions_for
from social_media.http import ApiClient, ApiError
from social_media.payloads import build_payload
from social_media.platforms.base import BasePlatform, Outcome, PublishResult
from social_media.platforms.spec import Route
from social_media.url_guard import UnsafeUrlError, guarded_session

if TYPE_CHECKING:
    import requests

    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import Webhook

# Make.com custom webhooks with API key authentication expect the key in this header
# (https://apps.make.com/gateway, "Custom webhook module").
MAKE_API_KEY_HEADER = "x-make-apikey"


def signed_headers(*, secret: str, message_id: str, body: str) -> dict[str, str]:
    """Standard Webhooks headers: the same ``webhook-id`` on every retry of a delivery."""
    now = timezone.now()
    signature = StandardWebhook(secret).sign(message_id, now, body)
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


class WebhookClient(ApiClient):
    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        error = self.generic_error(response, f"the scenario answered HTTP {response.status_code}")
        if response.status_code == 401:
            error.outcome = Outcome.PERMANENT  # a scenario's 401 is not our token
            error.message += (
                " (if the Make.com webhook requires an API key, check the webhook's Make API key)"
            )
        if response.status_code == 410:
            error.message += " (the webhook no longer exists; deactivate or replace it)"
        return error


def send_signed(
    webhook: Webhook, *, body: str, message_id: str, timeout: float | None = None
) -> WebhookClient:
    """POST ``body`` to ``webhook``, signed, to the address the URL guard just checked.

    Returns the client (``last_status``, ``last_excerpt``); raises ``UnsafeUrlError``
    for a refused URL and ``ApiError`` for a failed or non-2xx/non-JSON answer.
    """
    session = guarded_session(webhook.url)
    client = WebhookClient(
        base_url=webhook.url,
        secrets=[*webhook.valid_secrets(), webhook.make_api_key],
        platform_name=f"Webhook {webhook.service_name}",
        session=session,
        timeout=timeout,
    )
    headers = signed_headers(secret=webhook.secret, message_id=message_id, body=body)
    if webhook.make_api_key:
        headers[MAKE_API_KEY_HEADER] = webhook.make_api_key
    client.request("POST", webhook.url, data=body.encode(), headers=headers)
    return client


def deliver_to_webhook(
    platform_key: str, post: SocialMediaPost, webhook: Webhook, media: PostMedia
) -> PublishResult:
    """The webhook route of any platform: deliver the signed payload to the scenario."""
    try:
        payload = build_payload(
            post.task,
            platform_key,
            webhook.payload_format,
            captions=captions_for(post.task, platform_key),
            media=media,
        )
    except ValueError as error:
        return PublishResult(Outcome.PERMANENT, error_message=f"Webhook: {error}")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        # The same webhook-id on every retry, so the scenario can de-duplicate.
        client = send_signed(webhook, body=body, message_id=f"msg_{post.delivery_id.hex}")
    except UnsafeUrlError as error:
        return PublishResult(Outcome.PERMANENT, error_message=f"Webhook: {error}")
    except ApiError as error:
        if error.outcome == Outcome.UNKNOWN and error.http_status:
            # 2xx with a plain-text body ("Accepted" from Make.com) is a delivery.
            return PublishResult(
                Outcome.ACCEPTED,
                http_status=error.http_status,
                response_excerpt=error.excerpt,
            )
        if error.outcome == Outcome.UNKNOWN:
            # The receiver de-duplicates on webhook-id, so a resend is safe.
            error.outcome = Outcome.TRANSIENT
        return error.to_result()
    return PublishResult(
        Outcome.ACCEPTED, http_status=client.last_status, response_excerpt=client.last_excerpt
    )


class WebhookPlatform(BasePlatform):
    """A platform served only by a scenario (its package sets key, label, limits, media)."""

    routes = (Route.WEBHOOK,)

    def publish(self, post: SocialMediaPost, target: Webhook, media: PostMedia) -> PublishResult:
        return deliver_to_webhook(self.key, post, target, media)
