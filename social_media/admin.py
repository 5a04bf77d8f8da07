"""Social media posts admin: the honest record of each post, its attempts, manual retry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from social_media.admin_display import external_link, status_badge
from social_media.analytics import FAILURE_KINDS
from social_media.models import PublishAttempt
from social_media.services import posts_retry
from tasks.models import SocialMediaPost

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PublishAttemptInline(admin.TabularInline):
    model = PublishAttempt
    extra = 0
    can_delete = False
    fields = (
        "number",
        "kind",
        "started_at",
        "duration_ms",
        "http_status",
        "outcome",
        "error_message",
        "response_excerpt",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: SocialMediaPost | None = None) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: SocialMediaPost | None = None
    ) -> bool:
        return False


class FailureKindFilter(admin.SimpleListFilter):
    title = _("failure kind")
    parameter_name = "failure_kind"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> Iterable[tuple[str, StrOrPromise]]:
        return [(key, label) for key, label in FAILURE_KINDS.items() if key != "other"]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SocialMediaPost]
    ) -> QuerySet[SocialMediaPost]:
        if self.value():
            return queryset.filter(failure_kind=self.value())
        return queryset


@admin.register(SocialMediaPost)
class SocialMediaPostAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "task_link",
        "platform",
        "status_badge",
        "retry_count",
        "attempt_count",
        "next_attempt_at",
        "post_link",
        "updated_at",
    )
    list_filter = ("platform", "status", FailureKindFilter)
    list_select_related = ("task",)
    search_fields = ("=task__id", "task__question")
    search_help_text = _("Search by task ID or question text.")
    date_hierarchy = "created_at"
    inlines = [PublishAttemptInline]
    actions = ["retry_posts"]
    fieldsets = (
        (None, {"fields": ("task", "platform", "status_badge", "post_id", "post_link")}),
        (
            _("Failures and retries"),
            {
                "fields": (
                    "error_message",
                    "failure_kind",
                    "retry_count",
                    "attempt_count",
                    "next_attempt_at",
                    "needs_reconcile",
                )
            },
        ),
        (
            _("Delivery"),
            {
                "fields": (
                    "webhook",
                    "delivery_id",
                    "enqueued_at",
                    "locked_until",
                    "delivered_at",
                    "callback_deadline",
                )
            },
        ),
        (_("Record"), {"fields": ("created_at", "updated_at", "published_at")}),
    )
    readonly_fields = tuple(flatten_fieldsets(fieldsets))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("task"), ordering="task")
    def task_link(self, post: SocialMediaPost) -> str:
        url = reverse("admin:tasks_task_change", args=[post.task_id])
        return format_html('<a href="{}">{}</a>', url, post.task)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, post: SocialMediaPost) -> str:
        return status_badge(post.status)

    @admin.display(description=_("post URL"))
    def post_link(self, post: SocialMediaPost) -> str:
        return external_link(post.post_url)

    @admin.action(permissions=["change"], description=_("Retry selected posts"))
    def retry_posts(self, request: HttpRequest, queryset: QuerySet[SocialMediaPost]) -> None:
        selected = queryset.count()
        moved = posts_retry(queryset)
        message = ngettext(
            "%(moved)d post moved back to the queue.",
            "%(moved)d posts moved back to the queue.",
            moved,
        ) % {"moved": moved}
        skipped = selected - moved
        if skipped:
            message += " " + ngettext(
                "%(skipped)d post not touched: published posts and posts in progress "
                "are never retried.",
                "%(skipped)d posts not touched: published posts and posts in progress "
                "are never retried.",
                skipped,
            ) % {"skipped": skipped}
        self.message_user(request, message, messages.SUCCESS if moved else messages.WARNING)
