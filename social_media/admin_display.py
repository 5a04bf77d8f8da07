"""Small HTML pieces the admin pages share: status badges, safe links, publishing state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from tasks.models import PostStatus

STATUS_COLOURS: dict[str, str] = {
    PostStatus.PENDING: "#6c757d",
    PostStatus.PROCESSING: "#0d6efd",
    PostStatus.PUBLISHED: "#198754",
    PostStatus.FAILED: "#dc3545",
}

BADGE = (
    '<span style="background:{};color:#fff;padding:2px 8px;border-radius:10px;'
    'white-space:nowrap;font-size:11px">{}</span>'
)


def badge(label: object, colour: str) -> SafeString:
    return format_html(BADGE, colour, label)


WAITING_COLOUR = "#fd7e14"


def status_badge(status: str, *, waiting_for: str = "") -> SafeString:
    """The status as a coloured badge; a pending post waiting on its platform (a
    container processing, an upload) says so, with what it waits for as a tooltip."""
    if status == PostStatus.PENDING and waiting_for:
        return format_html(
            '<span title="{}">{}</span>',
            waiting_for,
            badge(_("Waiting on the platform"), WAITING_COLOUR),
        )
    label = PostStatus(status).label if status in PostStatus.values else status
    return badge(label, STATUS_COLOURS.get(status, "#6c757d"))


def external_link(url: str, label: object | None = None) -> SafeString | str:
    """A link that opens in a new tab, only for http(s) URLs; '-' otherwise."""
    if not url or not url.lower().startswith(("https://", "http://")):
        return "-"
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, label or _("open ↗")
    )


@dataclass(frozen=True)
class PublishingState:
    key: str
    label: object
    colour: str


STATES = {
    "not_published": PublishingState("not_published", _("Not published"), "#adb5bd"),
    "scheduled": PublishingState("scheduled", _("Scheduled"), "#6f42c1"),
    "no_posts": PublishingState("no_posts", _("No posts"), "#adb5bd"),
    "all_published": PublishingState("all_published", _("All published"), "#198754"),
    "failed": PublishingState("failed", _("Failed"), "#dc3545"),
    "partly": PublishingState("partly", _("Partly published"), "#fd7e14"),
    "in_progress": PublishingState("in_progress", _("In progress"), "#0d6efd"),
}


def publishing_state(
    *,
    published: bool,
    publish_date: datetime | None,
    total: int,
    published_posts: int,
    failed_posts: int,
) -> PublishingState:
    """The task's state across platforms, from counts annotated on the changelist query."""
    if not published:
        return STATES["not_published"]
    if publish_date and publish_date > timezone.now() and published_posts == 0:
        return STATES["scheduled"]
    if total == 0:
        return STATES["no_posts"]
    if published_posts == total:
        return STATES["all_published"]
    if published_posts:
        return STATES["partly"]
    if failed_posts:
        return STATES["failed"]
    return STATES["in_progress"]


class ReadOnlyTabularInline(admin.TabularInline):
    """An inline that shows rows the system writes: no adding, changing or deleting."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A list of rows the workers write: staff may look, nobody adds, edits or deletes.

    Without change permission Django's change page becomes a read-only view page, and
    without delete permission the list has no "delete selected" action (nor checkboxes).
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
