"""Engagement read back from the platforms, in the admin: each reading of a post's numbers
(``MetricSnapshot``) and the chart's rows per platform and day (``MetricDay``).

Both are written only by the metrics collector (``social_media.metrics_collect``), so the
pages are read-only. Nothing may be deleted either: a day's row is the sum of its
snapshots' gains, and each snapshot's gain is counted from the one before it.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from quiz_backend.redaction import redact
from social_media.admin_display import ReadOnlyModelAdmin
from social_media.models import MetricDay, MetricSnapshot
from social_media.platforms.base import METRIC_NAMES

# The common metric names, the correct share shown as a percentage, and the gain.
SNAPSHOT_NUMBERS = (
    *(name for name in METRIC_NAMES if name != "correct_share"),
    "correct_share_percent",
    "interactions_gain",
)


def snapshots_url(**filters: object) -> str:
    """The snapshot list filtered by ``filters`` (changelist lookups, e.g. ``post__id__exact``)."""
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    url = reverse("admin:social_media_metricsnapshot_changelist")
    return f"{url}?{query}" if query else url


def post_link(post_id: int | None, label: object) -> SafeString | str:
    if post_id is None:
        return "—"
    url = reverse("admin:tasks_socialmediapost_change", args=[post_id])
    return format_html('<a href="{}">{}</a>', url, label)


def task_link(task_id: int | None, label: object = None) -> SafeString | str:
    if task_id is None:
        return "—"
    url = reverse("admin:tasks_task_change", args=[task_id])
    return format_html('<a href="{}">{}</a>', url, label or f"#{task_id}")


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(ReadOnlyModelAdmin):
    list_display = (
        "read_at",
        "post_column",
        "task_column",
        "platform",
        "source",
        *SNAPSHOT_NUMBERS,
    )
    list_filter = ("platform", "source")
    # The post gives the label (its __str__ reads only its own columns) and the task's id.
    list_select_related = ("post",)
    search_fields = ("=post__id", "=post__task__id", "=post__post_id")
    search_help_text = _("Search by post ID, task ID or the platform's post ID.")
    date_hierarchy = "read_at"
    ordering = ("-read_at", "-id")
    fieldsets = (
        (None, {"fields": ("post_column", "task_column", "platform", "source", "read_at")}),
        (_("Numbers"), {"fields": SNAPSHOT_NUMBERS}),
        (
            _("As the platform answered"),
            {
                "fields": ("raw_numbers",),
                "description": _("Numbers the platform sent, before they were checked."),
            },
        ),
    )
    readonly_fields = ("post_column", "task_column", "correct_share_percent", "raw_numbers")

    @admin.display(description=_("post"), ordering="post")
    def post_column(self, snapshot: MetricSnapshot) -> SafeString | str:
        return post_link(snapshot.post_id, snapshot.post)

    @admin.display(description=_("task"), ordering="post__task")
    def task_column(self, snapshot: MetricSnapshot) -> SafeString | str:
        return task_link(snapshot.post.task_id)

    @admin.display(description=_("correct answers"), ordering="correct_share")
    def correct_share_percent(self, snapshot: MetricSnapshot) -> str:
        if snapshot.correct_share is None:
            return "—"
        return f"{snapshot.correct_share:.0%}"

    @admin.display(description=_("raw numbers"))
    def raw_numbers(self, snapshot: MetricSnapshot) -> SafeString | str:
        if not snapshot.raw:
            return "—"
        # The collectors keep counts only, but a platform's answer is not ours to trust:
        # anything shaped like a secret is masked before it reaches the page.
        text = redact(json.dumps(snapshot.raw, indent=2, ensure_ascii=False, sort_keys=True))
        return format_html('<pre style="margin:0;white-space:pre-wrap">{}</pre>', text)


@admin.register(MetricDay)
class MetricDayAdmin(ReadOnlyModelAdmin):
    list_display = ("day", "platform", "interactions_gain", "snapshots")
    list_filter = ("platform",)
    date_hierarchy = "day"
    ordering = ("-day", "platform")
    fields = ("day", "platform", "interactions_gain", "snapshots")
    readonly_fields = ("snapshots",)

    @admin.display(description=_("snapshots"))
    def snapshots(self, row: MetricDay) -> SafeString:
        # The day is the site's time zone's, as the date drill-down of the snapshot list.
        url = snapshots_url(
            platform=row.platform,
            read_at__year=row.day.year,
            read_at__month=row.day.month,
            read_at__day=row.day.day,
        )
        return format_html('<a href="{}">{}</a>', url, gettext("Readings of that day"))
