"""Encryption at rest for secrets (access tokens, refresh tokens, webhook secrets).

Keys are Fernet keys from ``FIELD_ENCRYPTION_KEYS`` (comma-separated, newest
first). Values are encrypted with the newest key and decrypted with any of them,
so a key is rotated by putting a new one in front and running
``manage.py reencrypt_secrets`` before the old one is removed.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

PREFIX = "enc:"


class DecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key number {position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes; generate one with "
                "`python manage.py generate_encryption_key`)."
            ) from None
    return MultiFernet(fernets)


def _keys() -> tuple[str, ...]:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if keys:
        return keys
    if not settings.DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off.")
    # Local development only: a key derived from SECRET_KEY.
    digest = hashlib.sha256(f"field-encryption:{settings.SECRET_KEY}".encode()).digest()
    return (base64.urlsafe_b64encode(digest).decode(),)


def encrypt(value: str) -> str:
    return PREFIX + _fernet_for(_keys()).encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before encryption was enabled; re-encrypted on next save
    try:
        return _fernet_for(_keys()).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS; "
            "was a key removed before `reencrypt_secrets` ran?"
        ) from None


def is_encrypted_with_newest_key(stored: str) -> bool:
    if not stored.startswith(PREFIX):
        return not stored
    newest = _fernet_for(_keys()[:1])
    try:
        newest.decrypt(stored[len(PREFIX) :].encode())
    except InvalidToken:
        return False
    return True


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; Python code sees the plaintext."""

    def from_db_value(
        self, value: str | None, expression: object, connection: object
    ) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every ``EncryptedTextField`` of every installed model."""
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


class DecryptionErrorMiddleware:
    """A secret that no configured key opens is an operator's problem: say so plainly.

    Without it the admin shows a traceback (or a bare 500) when a key was removed
    from ``FIELD_ENCRYPTION_KEYS`` before ``reencrypt_secrets`` ran.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DecryptionError):
            return None
        logger.error("🔐 %s (%s %s)", exception, request.method, request.path)
        message = _(
            "Stored secrets cannot be decrypted with the configured FIELD_ENCRYPTION_KEYS. "
            "Put the removed key back (after the new one) and run "
            "`python manage.py reencrypt_secrets`; see docs/security.md."
        )
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"status": "error", "error": "secrets_unavailable", "message": str(message)},
                status=503,
            )
        html = format_html(
            "<!DOCTYPE html><html><head><title>{}</title></head><body><h1>{}</h1><p>{}</p>"
            "</body></html>",
            _("Secrets unavailable"),
            _("Secrets unavailable"),
            message,
        )
        return HttpResponse(html, status=503)
