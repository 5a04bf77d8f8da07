"""Task admin: the list with each task's publishing state, its posts, the bulk action."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from quiz_backend.json_fields import AnswersField, ShapedJSONFormMixin
from social_media import target_cache
from social_media.admin_display import (
    ReadOnlyTabularInline,
    badge,
    external_link,
    publishing_state,
    status_badge,
)
from social_media.calendar import pace_preview
from social_media.captions import CaptionBook
from social_media.engagement_task import task_engagement
from social_media.media import tasks_render_media_enqueue
from social_media.platforms.registry import PLATFORMS
from social_media.preview import preview_notes, preview_problems, task_preview
from social_media.publish_plan import plan_totals, publish_plan
from social_media.services import PublishSummary, tasks_publish_bulk
from social_media.targets import Targets, targets_preloaded
from tasks.models import PostStatus, SocialMediaPost, Task

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

admin.site.site_header = _("Quiz backend")
admin.site.site_title = _("Quiz backend")
admin.site.index_title = _("Administration")


class SocialMediaPostInline(ReadOnlyTabularInline):
    model = SocialMediaPost
    show_change_link = True
    fields = (
        "platform",
        "route",
        "status_badge",
        "post_link",
        "notice",
        "error_message",
        "retry_count",
        "planned_at",
        "published_at",
    )
    readonly_fields = fields

    @admin.display(description=_("status"))
    def status_badge(self, post: SocialMediaPost) -> str:
        return status_badge(post.status, waiting_for=post.platform_step)

    @admin.display(description=_("post URL"))
    def post_link(self, post: SocialMediaPost) -> str:
        return external_link(post.post_url, post.post_url)


class ScheduleFilter(admin.SimpleListFilter):
    """Published tasks waiting for their date, and those whose date came but not their posts."""

    title = _("schedule")
    parameter_name = "schedule"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> Iterable[tuple[str, StrOrPromise]]:
        return (
            ("scheduled", _("Scheduled (publish date ahead)")),
            ("due", _("Due, posts not sent yet")),
        )

    def queryset(self, request: HttpRequest, queryset: QuerySet[Task]) -> QuerySet[Task]:
        now = timezone.now()
        if self.value() == "scheduled":
            return queryset.filter(published=True, publish_date__gt=now)
        if self.value() == "due":
            unsent = SocialMediaPost.objects.filter(
                status=PostStatus.PENDING, attempt_count=0
            ).values("task_id")
            return queryset.filter(
                Q(publish_date__isnull=True) | Q(publish_date__lte=now),
                published=True,
                pk__in=unsent,
            )
        return queryset


def _https_by_default(field: models.Field, **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class TaskAdminForm(ShapedJSONFormMixin, forms.ModelForm):
    class Meta:
        model = Task
        fields = (
            "question",
            "answers",
            "correct_answer",
            "explanation",
            "image_url",
            "topic",
            "difficulty",
            "language",
            "published",
            "publish_date",
        )
        formfield_callback = _https_by_default
        field_classes = {"answers": AnswersField}


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    form = TaskAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "id",
        "question_excerpt",
        "topic",
        "language",
        "difficulty",
        "published",
        "publish_date",
        "publishing_state",
    )
    list_display_links = ("id", "question_excerpt")
    list_filter = ("published", ScheduleFilter, "language", "topic", "difficulty")
    search_fields = ("question", "topic")
    date_hierarchy = "created_at"
    readonly_fields = ("translation_group_id", "created_at", "updated_at")
    inlines = [SocialMediaPostInline]
    actions = ["publish_to_social_networks", "dry_run", "rerender_media"]
    fieldsets = (
        (None, {"fields": ("question", "answers", "correct_answer", "explanation")}),
        (_("Details"), {"fields": ("image_url", "topic", "difficulty", "language")}),
        (_("Publishing"), {"fields": ("published", "publish_date")}),
        (_("Record"), {"fields": ("translation_group_id", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Task]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                posts_total=Count("social_posts"),
                posts_published=Count(
                    "social_posts", filter=Q(social_posts__status=PostStatus.PUBLISHED)
                ),
                posts_failed=Count(
                    "social_posts", filter=Q(social_posts__status=PostStatus.FAILED)
                ),
            )
        )

    @admin.display(description=_("question"), ordering="question")
    def question_excerpt(self, task: Task) -> str:
        text = " ".join(task.question.split())
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description=_("publishing state"))
    def publishing_state(self, task: Task) -> str:
        state = publishing_state(
            published=task.published,
            publish_date=task.publish_date,
            total=getattr(task, "posts_total", 0),
            published_posts=getattr(task, "posts_published", 0),
            failed_posts=getattr(task, "posts_failed", 0),
        )
        return badge(state.label, state.colour)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Task | None = None,
    ) -> HttpResponse:
        if change and obj is not None and obj.pk:
            context["platform_previews"] = task_preview(obj, Targets.load(), with_media=True)
            context["waiting_posts"] = list(
                obj.social_posts.filter(status=PostStatus.PENDING).order_by("next_attempt_at")
            )
            context["post_engagement"] = task_engagement(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(
        self, request: HttpRequest, obj: Task, form: forms.ModelForm[Task], change: bool
    ) -> None:
        if not obj.published:
            super().save_model(request, obj, form, change)
            return
        captions = None
        if target_cache.supported() and settings.SOCIAL_MEDIA_AUTO_PUBLISH:
            # The publishing signal checks the process's copy of the targets (in its
            # INSERT) and reloads it if it changed; the warnings use the same copy.
            if target_cache.current() is None:
                target_cache.snapshot(target_cache.fingerprint())  # once per process
            super().save_model(request, obj, form, change)
            snapshot = target_cache.current()
            assert snapshot is not None
            targets, captions = snapshot.targets, snapshot.captions
        else:
            # One load of the active targets serves the publishing signal and the warnings.
            with targets_preloaded(Targets.load()) as targets:
                super().save_model(request, obj, form, change)
        previews = task_preview(obj, targets, captions, with_payload=False)
        problems = preview_problems(previews)
        if problems:
            self.message_user(
                request,
                gettext("Saved, but these platforms will fail: %(problems)s")
                % {"problems": " ".join(problems)},
                messages.WARNING,
            )
        notes = preview_notes(previews)
        if notes:
            self.message_user(
                request,
                gettext("Texts will be shortened: %(notes)s") % {"notes": " ".join(notes)},
                messages.INFO,
            )

    def _intermediate_context(self, request: HttpRequest, title: object) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }

    @admin.action(permissions=["change"], description=_("📱 Publish to social networks"))
    def publish_to_social_networks(
        self, request: HttpRequest, queryset: QuerySet[Task]
    ) -> TemplateResponse | None:
        if request.POST.get("post") != "yes":
            targets = Targets.load()
            plans = publish_plan(queryset.order_by("pk"), targets)
            context = self._intermediate_context(request, _("Publish to social networks?"))
            context.update(
                plans=plans,
                totals=plan_totals(plans),
                no_platform=sum(1 for plan in plans if plan.skipped_no_platform),
                pace=pace_preview(plans, targets),
            )
            return TemplateResponse(request, "admin/tasks/task/publish_confirmation.html", context)
        summary = tasks_publish_bulk(queryset)
        level = messages.SUCCESS if summary.tasks_sent else messages.WARNING
        self.message_user(request, summary_message(summary), level)
        return None

    @admin.action(permissions=["view"], description=_("Dry run: show what would be sent"))
    def dry_run(self, request: HttpRequest, queryset: QuerySet[Task]) -> TemplateResponse:
        targets, captions = Targets.load(), CaptionBook.load()
        context = self._intermediate_context(request, _("Dry run: what would be sent"))
        context["items"] = [
            (task, task_preview(task, targets, captions)) for task in queryset.order_by("pk")
        ]
        return TemplateResponse(request, "admin/tasks/task/dry_run.html", context)

    @admin.action(permissions=["change"], description=_("🎬 Re-render media"))
    def rerender_media(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        tasks_render_media_enqueue(ids)
        self.message_user(
            request,
            ngettext(
                "Media rendering queued for %(count)d task: the worker renders its cards and "
                "video; reload the task page to see them.",
                "Media rendering queued for %(count)d tasks: the worker renders their cards and "
                "videos; reload a task page to see them.",
                len(ids),
            )
            % {"count": len(ids)},
            messages.SUCCESS,
        )


def summary_message(summary: PublishSummary) -> str:
    """One message: the tasks and posts that went out now, then why the rest did not."""
    sent = []
    for key in summary.platforms():
        new, retried = summary.sent_now(key)
        counts = []
        if new:
            counts.append(
                ngettext("%(count)d new post", "%(count)d new posts", new) % {"count": new}
            )
        if retried:
            counts.append(
                ngettext("%(count)d post retried", "%(count)d posts retried", retried)
                % {"count": retried}
            )
        if counts:
            label = PLATFORMS[key].label if key in PLATFORMS else key
            sent.append(f"{label}: {', '.join(counts)}")
    reasons = _not_sent_reasons(summary)
    if not sent:
        return gettext("Nothing was sent to social networks: %(reasons)s.") % {
            "reasons": "; ".join(reasons)
        }
    message = ngettext(
        "%(count)d task sent to social networks.",
        "%(count)d tasks sent to social networks.",
        len(summary.tasks_sent),
    ) % {"count": len(summary.tasks_sent)}
    message += " " + "; ".join(sent) + "."
    if reasons:
        message += " " + gettext("Not sent: %(reasons)s.") % {"reasons": "; ".join(reasons)}
    return message


def _not_sent_reasons(summary: PublishSummary) -> list[str]:
    if summary.tasks and summary.tasks_without_platform == summary.tasks:
        return [
            gettext(
                "no active social network serves these tasks (add a credential or a social "
                "media webhook, or check their languages)"
            )
        ]
    published = sum(summary.skipped_published.values())
    in_flight = sum(summary.skipped_in_flight.values())
    scheduled = sum(summary.scheduled.values())
    unserved = summary.tasks_without_platform
    reasons = []
    if published:
        reasons.append(
            ngettext(
                "%(count)d post already published",
                "%(count)d posts already published",
                published,
            )
            % {"count": published}
        )
    if in_flight:
        reasons.append(
            ngettext(
                "%(count)d post already in progress",
                "%(count)d posts already in progress",
                in_flight,
            )
            % {"count": in_flight}
        )
    if scheduled:
        reasons.append(
            ngettext(
                "%(count)d post scheduled for its publish date",
                "%(count)d posts scheduled for their publish date",
                scheduled,
            )
            % {"count": scheduled}
        )
    if unserved:
        reasons.append(
            ngettext(
                "%(count)d task has no active social network",
                "%(count)d tasks have no active social network",
                unserved,
            )
            % {"count": unserved}
        )
    return reasons
