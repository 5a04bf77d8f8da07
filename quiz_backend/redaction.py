"""Masking of secrets in any text that may reach a log, an error message or a page."""

from __future__ import annotations

import re
from collections.abc import Iterable

from social_media.platforms.spec import secret_patterns

MASK = "***"

# Names whose value is a secret: access_token, refresh_token, client_secret,
# webhook_secret, password, api_key, appsecret_proof, fb_exchange_token, …
_SECRET_NAME = r"[A-Za-z_\-]*(?:token|secret|password|passwd|api_?key|apikey|proof)[A-Za-z_\-]*"  # noqa: S105 (a pattern, not a password)

_SUBSTITUTIONS: list[tuple[re.Pattern[str], str]] = [
    # key=value in URLs, form bodies and log lines (also URL-encoded "=")
    (re.compile(rf"(?i)\b({_SECRET_NAME})(=|%3D)([^&\s\"',;]+)"), rf"\1\2{MASK}"),
    # "key": "value" in JSON, 'key': 'value' in Python reprs
    (re.compile(rf"(?i)(\"{_SECRET_NAME}\"\s*:\s*\")([^\"]*)(\")"), rf"\1{MASK}\3"),
    (re.compile(rf"(?i)('{_SECRET_NAME}'\s*:\s*')([^']*)(')"), rf"\1{MASK}\3"),
    # API-key headers written as "name: value" (Make.com's x-make-apikey, X-Api-Key)
    (re.compile(r"(?i)\b(x-make-apikey|x-api-key)(\s*:\s*)([^\s,;\"']+)"), rf"\1\2{MASK}"),
    # Authorization headers
    (re.compile(r"(?i)\b(bearer|basic|oauth)\s+([A-Za-z0-9._~+/=-]{8,})"), rf"\1 {MASK}"),
    # Standard Webhooks secrets
    (re.compile(r"\b(whsec_)([A-Za-z0-9+/=]{8,})"), rf"\1{MASK}"),
    # Each platform's token shapes (social_media/platforms/<key>/conf.py SECRET_PATTERNS)
    *((re.compile(secret.pattern), rf"\1{MASK}") for secret in secret_patterns()),
]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with known secret values and secret-looking fragments masked."""
    if not text:
        return text
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern, replacement in _SUBSTITUTIONS:
        text = pattern.sub(replacement, text)
    return text
