"""Helpers that send callbacks the way a scenario does: raw bytes, signed headers."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from django.test import Client
from standardwebhooks import Webhook as StandardWebhook

CALLBACK_URL = "/api/webhooks/social-media-callback/"


def body_bytes(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def signature_headers(
    secret: str, body: bytes, *, message_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` (computed like any sender would)."""
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed_at = datetime.fromtimestamp(timestamp, tz=UTC)
    signature = StandardWebhook(secret).sign(message_id, signed_at, body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def post_raw(
    client: Client,
    body: bytes,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
    **extra: Any,
):
    return client.generic(
        "POST", CALLBACK_URL, data=body, content_type=content_type, headers=headers or {}, **extra
    )


def post_signed(client: Client, secret: str, data: Any, **kwargs: Any):
    body = data if isinstance(data, bytes) else body_bytes(data)
    return post_raw(client, body, signature_headers(secret, body, **kwargs))
