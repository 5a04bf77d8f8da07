"""``manage.py generate_encryption_key``: print a new key for FIELD_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Print a new Fernet key. Put it first in FIELD_ENCRYPTION_KEYS (comma-separated, "
        "newest first), then run reencrypt_secrets."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(Fernet.generate_key().decode())
