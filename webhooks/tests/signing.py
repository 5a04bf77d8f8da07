"""Helpers that send callbacks the way a scenario does: raw bytes, signed headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from django.test import Client

CALLBACK_URL = "/api/webhooks/social-media-callback/"


def body_bytes(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def signature_headers(
    secret: str, body: bytes, *, message_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``, computed from the specification
    (not with the library the server uses): HMAC-SHA256 over ``id.timestamp.body``."""
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")  # tolerate lost padding
    signed = f"{message_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{signature}",
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
