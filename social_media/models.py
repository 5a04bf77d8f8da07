from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from quiz_backend.platform_catalog import platform_choices
from social_media.caption_sandbox import TEMPLATE_MAX_LENGTH, normalize_source
from social_media.platforms.base import Outcome
from tasks.models import PostRoute


class AttemptKind(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    RECONCILE = "reconcile", _("Reconcile")


class PublishAttempt(models.Model):
    """One network attempt for a post: what was tried, how long it took, how it ended."""

    post = models.ForeignKey(
        "tasks.SocialMediaPost",
        on_delete=models.CASCADE,
        related_name="attempts",
        verbose_name=_("post"),
    )
    number = models.PositiveIntegerField(_("attempt"))
    kind = models.CharField(
        _("kind"), max_length=10, choices=AttemptKind.choices, default=AttemptKind.PUBLISH
    )
    route = models.CharField(
        _("route"), max_length=8, blank=True, default="", choices=PostRoute.choices
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration, ms"), null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, blank=True, choices=[(o.value, o.value) for o in Outcome]
    )
    error_message = models.TextField(_("error message"), blank=True)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)

    class Meta:
        verbose_name = _("publish attempt")
        verbose_name_plural = _("publish attempts")
        ordering = ["post", "number", "id"]
        indexes = [models.Index(fields=["post", "number"], name="attempt_post_idx")]

    def __str__(self) -> str:
        return f"{self.post_id} #{self.number} {self.outcome or '…'}"


class MetricSource(models.TextChoices):
    API = "api", _("Platform API")
    CALLBACK = "callback", _("Scenario callback")


class MetricSnapshot(models.Model):
    """One reading of a published post's numbers, in the common names, with the raw answer.

    A number the platform did not give, or gave in a shape the collector refused (see
    ``social_media.metrics_values``), is empty here; ``raw`` keeps what came.
    """

    post = models.ForeignKey(
        "tasks.SocialMediaPost",
        on_delete=models.CASCADE,
        related_name="metric_snapshots",
        verbose_name=_("post"),
    )
    platform = models.CharField(_("platform"), max_length=32, choices=platform_choices)
    read_at = models.DateTimeField(_("read at"))
    source = models.CharField(
        _("source"), max_length=10, choices=MetricSource.choices, default=MetricSource.API
    )
    views = models.PositiveBigIntegerField(_("views"), null=True, blank=True)
    engagements = models.PositiveBigIntegerField(_("engagements"), null=True, blank=True)
    clicks = models.PositiveBigIntegerField(_("clicks"), null=True, blank=True)
    saves = models.PositiveBigIntegerField(_("saves"), null=True, blank=True)
    shares = models.PositiveBigIntegerField(_("shares"), null=True, blank=True)
    comments = models.PositiveBigIntegerField(_("comments"), null=True, blank=True)
    answers = models.PositiveBigIntegerField(_("answers"), null=True, blank=True)
    correct_share = models.FloatField(_("correct share"), null=True, blank=True)
    raw = models.JSONField(_("raw numbers"), default=dict, blank=True)
    # Interactions (every count but views) the post gained since its previous reading:
    # what the analytics chart sums per day without reading the snapshots before.
    interactions_gain = models.PositiveBigIntegerField(_("interactions gained"), default=0)

    class Meta:
        verbose_name = _("metric snapshot")
        verbose_name_plural = _("metric snapshots")
        ordering = ["post", "read_at", "id"]
        indexes = [
            models.Index(fields=["post", "read_at"], name="snapshot_post_idx"),
            models.Index(fields=["read_at"], name="snapshot_read_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} @ {self.read_at:%Y-%m-%d %H:%M}"


class MetricDay(models.Model):
    """Interactions a platform's posts gained on one day (the site's time zone): the
    analytics chart's rows, added to with each reading so the chart never reads snapshots."""

    platform = models.CharField(_("platform"), max_length=32, choices=platform_choices)
    day = models.DateField(_("day"))
    interactions_gain = models.PositiveBigIntegerField(_("interactions gained"), default=0)

    class Meta:
        verbose_name = _("engagement day")
        verbose_name_plural = _("engagement days")
        ordering = ["day", "platform"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "day"], name="unique_metric_day"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.day}: +{self.interactions_gain}"


def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class CaptionTemplate(models.Model):
    """Staff's title and description templates for one platform and language.

    Rendered by ``social_media.content.build_content`` in a sandbox; an empty field
    uses the built-in text. Checked against sample tasks when saved (``clean``).
    """

    platform = models.CharField(_("platform"), max_length=32, choices=platform_choices)
    language = models.CharField(_("language"), max_length=5, choices=language_choices)
    title = models.TextField(
        _("title template"),
        blank=True,
        max_length=TEMPLATE_MAX_LENGTH,
        help_text=_("Empty: the built-in title. One line: line breaks become spaces."),
    )
    description = models.TextField(
        _("description template"),
        blank=True,
        max_length=TEMPLATE_MAX_LENGTH,
        help_text=_(
            "Empty: the built-in description. When it is too long, the paragraph with "
            "{{ link }} and everything after it are kept and the text before is cut."
        ),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive templates are ignored.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("caption template")
        verbose_name_plural = _("caption templates")
        ordering = ["platform", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "language"], name="unique_caption_template"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} · {self.get_language_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.title = normalize_source(self.title)
        self.description = normalize_source(self.description)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from social_media.captions import template_errors

        errors = template_errors(
            self.platform,
            self.language,
            {"title": self.title, "description": self.description},
        )
        if errors:
            raise ValidationError(errors)


class QuotaUsage(models.Model):
    """How much of a platform's daily quota one credential used in one quota window
    (the window's start: the platform says when its day begins, e.g. midnight Pacific)."""

    credential = models.ForeignKey(
        "webhooks.SocialMediaCredentials",
        on_delete=models.CASCADE,
        related_name="quota_usage",
        verbose_name=_("credential"),
    )
    platform = models.CharField(_("platform"), max_length=32, choices=platform_choices)
    window_start = models.DateTimeField(_("quota window start"))
    used = models.PositiveIntegerField(_("used"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("quota usage")
        verbose_name_plural = _("quota usage")
        ordering = ["-window_start", "credential"]
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "platform", "window_start"], name="unique_quota_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential} · {self.window_start:%Y-%m-%d %H:%M} · {self.used}"


class PublishSlot(models.Model):
    """A time one target gives to one post under its pace (see ``social_media.pacing``).

    The database keeps the promises: one post per target and moment, one slot per post,
    and on a capped target one numbered place per local day (``ordinal`` 1 … ``cap``);
    planners take the target's row lock first, so they never race for the same place.
    """

    target = models.CharField(
        _("target"), max_length=40, help_text=_("“api:<id>” or “webhook:<id>”")
    )
    at = models.DateTimeField(_("time"))
    day = models.DateField(_("day (target's time zone)"))
    ordinal = models.PositiveIntegerField(_("place in the day"), default=0)
    cap = models.PositiveIntegerField(_("daily cap when planned"), default=0)
    task = models.ForeignKey(
        "tasks.Task", on_delete=models.CASCADE, related_name="publish_slots", verbose_name=_("task")
    )
    platform = models.CharField(_("platform"), max_length=32, choices=platform_choices)
    forced = models.BooleanField(_("published now (skipped the queue)"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("publishing slot")
        verbose_name_plural = _("publishing slots")
        ordering = ["target", "at"]
        constraints = [
            models.UniqueConstraint(fields=["target", "at"], name="slot_unique_time"),
            models.UniqueConstraint(fields=["task", "platform"], name="slot_unique_post"),
            models.UniqueConstraint(
                fields=["target", "day", "ordinal"],
                condition=models.Q(ordinal__gt=0),
                name="slot_unique_place",
            ),
            models.CheckConstraint(
                condition=models.Q(cap=0, ordinal=0)
                | models.Q(cap__gt=0, ordinal__gte=1, ordinal__lte=models.F("cap"))
                | models.Q(forced=True, ordinal=0),
                name="slot_within_cap",
            ),
        ]
        indexes = [models.Index(fields=["target", "day"], name="slot_day_idx")]

    def __str__(self) -> str:
        return f"{self.target} @ {self.at:%Y-%m-%d %H:%M}"
