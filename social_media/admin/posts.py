"""Social media posts admin: the honest record of each post, its attempts, manual retry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from social_media import pacing
from social_media.admin.engagement import snapshots_url
from social_media.admin_display import ReadOnlyTabularInline, external_link, status_badge
from social_media.analytics import FAILURE_KINDS
from social_media.caption_sandbox import ALLOWED_FILTERS, ALLOWED_TAGS, TEMPLATE_MAX_LENGTH
from social_media.captions import caption_language, caption_preview
from social_media.content import CAPTION_FIELDS, CAPTION_VARIABLES, default_template
from social_media.models import CaptionTemplate, PublishAttempt, PublishSlot
from social_media.platforms.registry import PLATFORMS
from social_media.services import posts_retry
from tasks.models import SocialMediaPost, Task

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PublishAttemptInline(ReadOnlyTabularInline):
    model = PublishAttempt
    fields = (
        "number",
        "kind",
        "route",
        "started_at",
        "duration_ms",
        "http_status",
        "outcome",
        "error_message",
        "response_excerpt",
    )
    readonly_fields = fields


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
        "route",
        "status_badge",
        "retry_count",
        "attempt_count",
        "next_attempt_at",
        "planned_at",
        "post_link",
        "updated_at",
    )
    list_filter = ("platform", "route", "status", FailureKindFilter)
    list_select_related = ("task",)
    search_fields = ("=task__id", "task__question")
    search_help_text = _("Search by task ID or question text.")
    date_hierarchy = "created_at"
    inlines = [PublishAttemptInline]
    actions = ["retry_posts", "publish_now"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "task",
                    "platform",
                    "route",
                    "status_badge",
                    "post_id",
                    "post_link",
                    "notice",
                    # What a multi-step platform recorded: message ids, links, poll results.
                    "platform_state",
                )
            },
        ),
        (_("Waiting on the platform"), {"fields": ("platform_step", "step_deadline")}),
        (
            _("Failures and retries"),
            {
                "fields": (
                    "error_message",
                    "failure_kind",
                    "retry_count",
                    "attempt_count",
                    "next_attempt_at",
                    "planned_at",
                    "publish_slot",
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
        (
            _("Record"),
            {"fields": ("created_at", "updated_at", "published_at", "engagement_snapshots")},
        ),
    )
    readonly_fields = tuple(flatten_fieldsets(fieldsets))
    #: Links to the workers' records, shown to those who may see them.
    RECORD_LINKS = {
        "engagement_snapshots": "social_media.view_metricsnapshot",
        "publish_slot": "social_media.view_publishslot",
    }

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj: SocialMediaPost | None = None) -> Any:
        hidden = {
            name for name, perm in self.RECORD_LINKS.items() if not request.user.has_perm(perm)
        }
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in self.fieldsets
        ]

    @admin.display(description=_("engagement"))
    def engagement_snapshots(self, post: SocialMediaPost) -> str:
        if not post.pk:
            return "—"
        count = post.metric_snapshots.count()
        return format_html(
            '<a href="{}">{}</a>',
            snapshots_url(post__id__exact=post.pk),
            gettext("Engagement snapshots (%(count)d)") % {"count": count},
        )

    @admin.display(description=_("publishing slot"))
    def publish_slot(self, post: SocialMediaPost) -> str:
        slot = PublishSlot.objects.filter(task_id=post.task_id, platform=post.platform).first()
        if slot is None:
            return "—"
        url = reverse("admin:social_media_publishslot_change", args=[slot.pk])
        when = formats.date_format(timezone.localtime(slot.at), "SHORT_DATETIME_FORMAT")
        return format_html('<a href="{}">{} · {}</a>', url, when, slot.target)

    @admin.display(description=_("task"), ordering="task")
    def task_link(self, post: SocialMediaPost) -> str:
        url = reverse("admin:tasks_task_change", args=[post.task_id])
        return format_html('<a href="{}">{}</a>', url, post.task)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, post: SocialMediaPost) -> str:
        return status_badge(post.status, waiting_for=post.platform_step)

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

    @admin.action(permissions=["change"], description=_("⏩ Publish now (skip the queue)"))
    def publish_now(self, request: HttpRequest, queryset: QuerySet[SocialMediaPost]) -> None:
        taken = sum(1 for post in queryset if pacing.post_publish_now(post))
        message = ngettext(
            "%(count)d post sent now, ahead of its planned time.",
            "%(count)d posts sent now, ahead of their planned time.",
            taken,
        ) % {"count": taken}
        self.message_user(request, message, messages.SUCCESS if taken else messages.WARNING)


class CaptionTemplateForm(forms.ModelForm):
    class Meta:
        model = CaptionTemplate
        fields = ("platform", "language", "is_active", "title", "description")
        widgets = {
            "title": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField caption-source"}),
            "description": forms.Textarea(
                attrs={"rows": 12, "class": "vLargeTextField caption-source"}
            ),
        }


def _caption_help() -> str:
    return gettext(
        "Django template language, plain text. Fields: %(variables)s. "
        "Tags: %(tags)s. Filters: %(filters)s. The platform's limits are applied after "
        "rendering: a longer text is cut with “…”. A template that fails on a sample task "
        "is refused when saved."
    ) % {
        "variables": ", ".join(CAPTION_VARIABLES),
        "tags": ", ".join(ALLOWED_TAGS),
        "filters": ", ".join((*ALLOWED_FILTERS, "join")),
    }


@admin.register(CaptionTemplate)
class CaptionTemplateAdmin(admin.ModelAdmin):
    """Editable captions per platform and language, with a live preview."""

    form = CaptionTemplateForm
    change_form_template = "admin/social_media/captiontemplate/change_form.html"
    list_display = ("platform", "language", "is_active", "updated_at")
    list_filter = ("platform", "language", "is_active")
    ordering = ("platform", "language")

    class Media:
        js = ("social_media/caption_preview.js",)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return (
            (None, {"fields": ("platform", "language", "is_active")}),
            (_("Templates"), {"fields": ("title", "description"), "description": _caption_help()}),
        )

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        language = caption_language(str(initial.get("language") or settings.LANGUAGE_CODE))
        initial.setdefault("language", language)
        for name in CAPTION_FIELDS:
            initial.setdefault(name, default_template(language, name))
        return initial

    def get_urls(self) -> list[URLPattern]:
        preview = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="social_media_captiontemplate_preview",
        )
        return [preview, *super().get_urls()]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        context["caption_preview_url"] = reverse("admin:social_media_captiontemplate_preview")
        recent = Task.objects.only("pk", "question", "language").order_by("-pk")
        context["caption_preview_tasks"] = (
            [(task.pk, f"{task} ({task.language})") for task in recent[:20]]
            if request.user.has_perm("tasks.view_task")
            else []
        )
        context["caption_defaults"] = {
            code: {name: default_template(code, name) for name in CAPTION_FIELDS}
            for code, _name in settings.LANGUAGES
        }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """POST platform, language, title, description and (optionally) task → JSON."""
        if request.method != "POST":
            return JsonResponse({"error": gettext("Use POST.")}, status=405)
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            return JsonResponse({"error": gettext("Permission denied.")}, status=403)
        platform = request.POST.get("platform", "")
        language = request.POST.get("language", "")
        if platform not in PLATFORMS:
            return JsonResponse({"error": gettext("Choose a platform.")}, status=400)
        if language not in dict(settings.LANGUAGES):
            return JsonResponse({"error": gettext("Choose a language.")}, status=400)
        sources = {name: request.POST.get(name, "") for name in CAPTION_FIELDS}
        if any(len(source) > TEMPLATE_MAX_LENGTH for source in sources.values()):
            return JsonResponse(
                {
                    "error": gettext("A caption template is at most %(limit)d characters long.")
                    % {"limit": TEMPLATE_MAX_LENGTH}
                },
                status=400,
            )
        task, label = None, gettext("a sample task")
        task_id = request.POST.get("task", "").strip()
        if task_id:
            if not request.user.has_perm("tasks.view_task"):
                return JsonResponse({"error": gettext("Permission denied.")}, status=403)
            # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
            known = task_id.isascii() and task_id.isdigit() and len(task_id) <= 18
            task = Task.objects.filter(pk=int(task_id)).first() if known else None
            if task is None:
                return JsonResponse({"error": gettext("No such task.")}, status=400)
            label = str(task)
        data = caption_preview(platform, language, sources, task)
        data["task"] = label
        return JsonResponse(data)
