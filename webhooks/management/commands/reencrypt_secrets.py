"""``manage.py reencrypt_secrets``: re-encrypt every stored secret under the newest key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from quiz_backend.encryption import (
    DecryptionError,
    decrypt,
    encrypted_fields,
    is_encrypted_with_newest_key,
)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field (access tokens, refresh tokens, webhook secrets) "
        "with the first key of FIELD_ENCRYPTION_KEYS. Safe to run again; after it, older "
        "keys can be removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only report; exit with an error if any value is not under the newest key.",
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        totals = {"reencrypted": 0, "current": 0, "unreadable": 0}
        for model, field in encrypted_fields():
            counts = self._field(model, field.attname, check=check)
            label = f"{model._meta.label}.{field.name}"
            self.stdout.write(
                f"{label}: {counts['reencrypted']} "
                f"{'to re-encrypt' if check else 're-encrypted'}, "
                f"{counts['current']} already current, {counts['unreadable']} unreadable"
            )
            for key, value in counts.items():
                totals[key] += value
        verb = "to re-encrypt" if check else "re-encrypted"
        self.stdout.write(
            f"Total: {totals['reencrypted']} {verb}, {totals['current']} already current, "
            f"{totals['unreadable']} unreadable."
        )
        if totals["unreadable"]:
            raise CommandError(
                f"{totals['unreadable']} value(s) cannot be decrypted with any key in "
                "FIELD_ENCRYPTION_KEYS: put the key they were written with back in the list."
            )
        if check and totals["reencrypted"]:
            raise CommandError("Some values are not under the newest key; run without --check.")

    def _field(self, model: type[models.Model], attname: str, *, check: bool) -> dict[str, int]:
        counts = {"reencrypted": 0, "current": 0, "unreadable": 0}
        manager = model._base_manager
        # The raw stored text: a Cast skips the field's decryption on load.
        rows = manager.annotate(_stored=Cast(attname, TextField())).values_list("pk", "_stored")
        for pk, stored in rows.iterator():
            if not stored or is_encrypted_with_newest_key(stored):
                counts["current"] += 1
                continue
            try:
                plaintext = decrypt(stored)
            except DecryptionError:
                counts["unreadable"] += 1
                continue
            counts["reencrypted"] += 1
            if not check:
                self._rewrite(manager, attname, pk, stored, plaintext)
        return counts

    @staticmethod
    def _rewrite(
        manager: models.Manager[Any], attname: str, pk: Any, stored: str, plaintext: str
    ) -> None:
        with transaction.atomic():
            locked = (
                manager.select_for_update()
                .annotate(_stored=Cast(attname, TextField()))
                .filter(pk=pk)
                .values_list("_stored", flat=True)
                .first()
            )
            if locked != stored:
                return  # changed meanwhile: the new value is already under the newest key
            # update() runs the field's get_prep_value: encrypted with the newest key.
            manager.filter(pk=pk).update(**{attname: plaintext})
