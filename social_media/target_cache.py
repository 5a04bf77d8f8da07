"""The process's copy of the targets, caption templates and brand settings, checked
against the database.

Workers and web processes keep the active credentials, webhooks, caption templates
and the brand settings row (what renders are keyed on) in memory instead of loading
them for every post or save. Whether the copy is current is answered by the database
in a statement the caller runs anyway (the claim, the outbox INSERT):
``fingerprint_sql()`` is a short digest of every row's id and version of the four
tables. Any insert, update or delete, with or without ``save()``, in this process or
another machine, changes it, and the copy is reloaded before it is used.

PostgreSQL only (it reads ``xmin`` and ``ctid``); on other databases callers load
the targets every time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from quiz_media.models import BrandSettings
from social_media.captions import CaptionBook
from social_media.targets import Targets

# ``xmin``: the transaction that wrote the row version; ``ctid``: where that version
# lives, new on every update (also within one transaction). With the ids, any change
# to the tables changes the digest.
_DIGEST = "md5(concat_ws('|', {parts}))"
_PART = (
    "(SELECT string_agg(id::text || ':' || xmin::text || ctid::text, ',' ORDER BY id) FROM {table})"
)


@dataclass(frozen=True)
class Snapshot:
    fingerprint: str
    targets: Targets
    captions: CaptionBook
    brand: BrandSettings


_snapshot: Snapshot | None = None


def supported() -> bool:
    return connection.vendor == "postgresql"


def fingerprint_sql() -> str:
    """An SQL expression: the digest of the targets', caption templates' and brand rows."""
    from social_media.models import CaptionTemplate
    from webhooks.models import SocialMediaCredentials, Webhook

    tables = (SocialMediaCredentials, Webhook, CaptionTemplate, BrandSettings)
    quote = connection.ops.quote_name
    return _DIGEST.format(
        parts=", ".join(_PART.format(table=quote(m._meta.db_table)) for m in tables)
    )


def current() -> Snapshot | None:
    """The copy last loaded by this process (it may be out of date: check its fingerprint)."""
    return _snapshot


def fingerprint() -> str:
    """The digest now (one query; for callers with no statement to add it to)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {fingerprint_sql()}")
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def snapshot(fingerprint: str) -> Snapshot:
    """The targets and caption templates as of ``fingerprint``: the copy, or a fresh load."""
    global _snapshot
    cached = _snapshot
    if cached is not None and cached.fingerprint == fingerprint:
        return cached
    # Loaded after the digest was read: at least as new. If a change lands in
    # between, the next digest differs and the copy is loaded again.
    fresh = Snapshot(fingerprint, Targets.load(), CaptionBook.load(), BrandSettings.load())
    _snapshot = fresh
    return fresh


def forget() -> None:
    """Drop the copy (tests)."""
    global _snapshot
    _snapshot = None
