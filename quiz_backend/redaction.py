"""Masking of secrets in any text that may reach a log, an error message or a page."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

_PATTERNS = [
    # key=value in URLs, form bodies and log lines
    re.compile(
        r"(?i)\b(access_token|refresh_token|client_secret|appsecret_proof|"
        r"fb_exchange_token|input_token|token|secret|password|api_key|apikey)"
        r"(=|%3D)([^&\s\"',;]+)"
    ),
    # "key": "value" in JSON
    re.compile(
        r"(?i)(\"(?:access_token|refresh_token|client_secret|secret|password|token)\"\s*:\s*\")"
        r"([^\"]+)(\")"
    ),
    # Authorization headers
    re.compile(r"(?i)\b(bearer|basic|oauth)\s+([A-Za-z0-9._~+/=-]{8,})"),
    # Standard Webhooks secrets
    re.compile(r"\b(whsec_)([A-Za-z0-9+/=]{8,})"),
    # Pinterest tokens
    re.compile(r"\b(pina|pinr)(_[A-Za-z0-9._-]{8,})"),
]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with known secret values and secret-looking fragments masked."""
    if not text:
        return text
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
    text = _PATTERNS[2].sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _PATTERNS[3].sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _PATTERNS[4].sub(lambda m: f"{m.group(1)}{MASK}", text)
    return text
