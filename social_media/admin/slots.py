"""The pacing planner's slots in the admin: which target gives which time to which post.

Slots are written only by the planner (``social_media.pacing``), under the target's row
lock; the page is read-only and nothing may be deleted: a deleted slot frees its place
while the post still waits for its ``planned_at``, so the pace would no longer hold.
Moving posts is done on the calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from social_media.admin.engagement import post_link, task_link
from social_media.admin_display import ReadOnlyModelAdmin
from social_media.models import PublishSlot
from tasks.models import SocialMediaPost

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: A slot's target key prefix → the admin page of that kind of target and its label.
TARGET_PAGES: dict[str, tuple[str, StrOrPromise]] = {
    "api": ("admin:webhooks_socialmediacredentials_change", _("credential #%(id)s")),
    "webhook": ("admin:webhooks_webhook_change", _("webhook #%(id)s")),
}


def slots_url(**filters: object) -> str:
    """The slot list filtered by ``filters`` (changelist lookups, e.g. ``target``)."""
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    url = reverse("admin:social_media_publishslot_changelist")
    return f"{url}?{query}" if query else url


def target_link(key: str) -> SafeString | str:
    """``api:3`` → a link to credential #3; an unknown key is shown as it is."""
    kind, _sep, pk = key.partition(":")
    page = TARGET_PAGES.get(kind)
    if page is None or not pk.isascii() or not pk.isdigit():
        return key
    try:
        url = reverse(page[0], args=[int(pk)])
    except NoReverseMatch:
        return key
    return format_html('<a href="{}">{}</a>', url, str(page[1]) % {"id": pk})


class WhenFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> Iterable[tuple[str, StrOrPromise]]:
        return [("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[PublishSlot]
    ) -> QuerySet[PublishSlot]:
        if self.value() == "upcoming":
            return queryset.filter(at__gte=timezone.now())
        if self.value() == "past":
            return queryset.filter(at__lt=timezone.now())
        return queryset


class TargetKindFilter(admin.SimpleListFilter):
    title = _("target kind")
    parameter_name = "target_kind"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> Iterable[tuple[str, StrOrPromise]]:
        return [("api", _("Credential (API)")), ("webhook", _("Webhook"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[PublishSlot]
    ) -> QuerySet[PublishSlot]:
        if self.value() in TARGET_PAGES:
            return queryset.filter(target__startswith=f"{self.value()}:")
        return queryset


@admin.register(PublishSlot)
class PublishSlotAdmin(ReadOnlyModelAdmin):
    list_display = (
        "at",
        "platform",
        "target_column",
        "task_column",
        "post_column",
        "day",
        "place",
        "forced",
        "created_at",
    )
    list_filter = ("platform", WhenFilter, TargetKindFilter, "forced")
    list_select_related = ("task",)
    search_fields = ("=target", "=task__id")
    search_help_text = _("Search by target (“api:<id>” or “webhook:<id>”) or task ID.")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    fields = (
        "at",
        "platform",
        "target_column",
        "task_column",
        "post_column",
        "day",
        "place",
        "forced",
        "created_at",
    )
    readonly_fields = ("target_column", "task_column", "post_column", "place")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PublishSlot]:
        """Each slot with its post's id (one post per task and platform), in the same query."""
        post = SocialMediaPost.objects.filter(task=OuterRef("task"), platform=OuterRef("platform"))
        return super().get_queryset(request).annotate(post_pk=Subquery(post.values("pk")[:1]))

    @admin.display(description=_("target"), ordering="target")
    def target_column(self, slot: PublishSlot) -> SafeString | str:
        return target_link(slot.target)

    @admin.display(description=_("task"), ordering="task")
    def task_column(self, slot: PublishSlot) -> SafeString | str:
        return task_link(slot.task_id, slot.task)

    @admin.display(description=_("post"))
    def post_column(self, slot: PublishSlot) -> SafeString | str:
        post_pk = getattr(slot, "post_pk", None)
        return post_link(post_pk, gettext("post #%(id)s") % {"id": post_pk})

    @admin.display(description=_("place in the day"), ordering="ordinal")
    def place(self, slot: PublishSlot) -> str:
        if slot.forced:
            return gettext("out of turn")
        if not slot.cap:
            return gettext("no daily cap")
        return gettext("%(place)d of %(cap)d") % {"place": slot.ordinal, "cap": slot.cap}
