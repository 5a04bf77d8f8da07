from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from quiz_backend.json_fields import ANSWERS, json_field_errors
from quiz_backend.platform_catalog import platform_choices


class Difficulty(models.TextChoices):
    EASY = "easy", _("Easy")
    MEDIUM = "medium", _("Medium")
    HARD = "hard", _("Hard")


language_code_validator = RegexValidator(
    r"^[a-z]{2}(-[a-z]{2})?$", _("Use a language code such as “ru” or “en”.")
)


class Task(models.Model):
    """A quiz question that staff publish to the site and to social networks."""

    question = models.TextField(_("question"))
    answers = models.JSONField(
        _("answers"), default=list, help_text=_("A JSON list of answer options.")
    )
    correct_answer = models.CharField(_("correct answer"), max_length=500)
    explanation = models.TextField(_("explanation"), blank=True)
    image_url = models.URLField(_("image URL"), max_length=2048, blank=True)
    topic = models.CharField(_("topic"), max_length=100, blank=True, db_index=True)
    difficulty = models.CharField(
        _("difficulty"), max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    language = models.CharField(
        _("language"), max_length=5, default="ru", validators=[language_code_validator]
    )
    translation_group_id = models.UUIDField(
        _("translation group"),
        default=uuid.uuid4,
        db_index=True,
        help_text=_("Shared by all translations of one task."),
    )
    published = models.BooleanField(_("published"), default=False, db_index=True)
    publish_date = models.DateTimeField(
        _("publish date"),
        null=True,
        blank=True,
        help_text=_("Leave empty to publish at once; a future date schedules the posts."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        question = self.question.strip().splitlines()[0] if self.question.strip() else ""
        return f"#{self.pk} {question[:60]}" if self.pk else question[:60]

    def clean(self) -> None:
        errors: dict[str, object] = dict(json_field_errors(self, answers=ANSWERS))
        if not errors:
            if len([a for a in self.answers if a.strip()]) < 2:
                errors["answers"] = _("Give at least two answer options.")
            elif self.correct_answer and self.correct_answer not in self.answers:
                errors["correct_answer"] = _("The correct answer must be one of the answers.")
        if errors:
            raise ValidationError(errors)

    @property
    def public_url(self) -> str:
        """The task's page on the quiz site: ``{SITE_URL}/task/{id}``."""
        return f"{settings.SITE_URL}/task/{self.pk}"


class PostStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")


class PostRoute(models.TextChoices):
    """How a post reached its platform (``social_media.platforms.spec.Route``)."""

    API = "api", _("API")
    WEBHOOK = "webhook", _("Webhook")


class SocialMediaPost(models.Model):
    """One task on one platform: the outbox row and the honest record of the post.

    Rows are written in the same transaction as the task; a worker claims a row
    (``claim_token`` + ``locked_until`` lease) before any network call, so a post
    is sent by one worker at a time and never twice.
    """

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="social_posts", verbose_name=_("task")
    )
    platform = models.CharField(_("platform"), max_length=32, choices=platform_choices)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=PostStatus.choices,
        default=PostStatus.PENDING,
        db_index=True,
    )
    post_id = models.CharField(_("post ID"), max_length=255, blank=True)
    post_url = models.URLField(_("post URL"), max_length=2048, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    failure_kind = models.CharField(_("failure kind"), max_length=16, blank=True)
    retry_count = models.PositiveIntegerField(_("retries"), default=0)
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    planned_at = models.DateTimeField(
        _("planned for"),
        null=True,
        blank=True,
        help_text=_("When the target's pace lets this post go out; empty: at once."),
    )
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    needs_reconcile = models.BooleanField(
        _("needs reconciliation"),
        default=False,
        help_text=_("The last attempt may have reached the platform; look before resending."),
    )
    delivery_id = models.UUIDField(
        _("delivery ID"),
        default=uuid.uuid4,
        editable=False,
        help_text=_("Idempotency key sent with every webhook delivery of this post."),
    )
    webhook = models.ForeignKey(
        "webhooks.Webhook",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="posts",
        verbose_name=_("webhook"),
    )
    route = models.CharField(
        _("route"), max_length=8, choices=PostRoute.choices, blank=True, default=""
    )
    platform_state = models.JSONField(
        _("platform state"),
        default=dict,
        blank=True,
        help_text=_("Where a multi-step publish is: container or upload ids (no secrets)."),
    )
    platform_step = models.CharField(
        _("waiting for"),
        max_length=255,
        blank=True,
        help_text=_("What the post waits for on the platform (processing, upload, status)."),
    )
    step_deadline = models.DateTimeField(_("waiting deadline"), null=True, blank=True)
    notice = models.TextField(
        _("notice"),
        blank=True,
        help_text=_("A remark on the post from its platform, e.g. that it was made private."),
    )
    enqueued_at = models.DateTimeField(_("handed to a worker"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered to webhook"), null=True, blank=True)
    callback_deadline = models.DateTimeField(_("callback deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Engagement read back from the platform (social_media/metrics_collect.py): the latest
    # good numbers by common name, when they were read, and when to read them next.
    metrics = models.JSONField(
        _("metrics"),
        default=dict,
        blank=True,
        help_text=_("The latest numbers the platform reported (views, engagements, …)."),
    )
    metrics_read_at = models.DateTimeField(_("metrics read at"), null=True, blank=True)
    next_metrics_at = models.DateTimeField(_("next metrics reading"), null=True, blank=True)

    class Meta:
        verbose_name = _("social media post")
        verbose_name_plural = _("social media posts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["task", "platform"], name="unique_post_per_platform"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="post_due_idx"),
            models.Index(fields=["status", "next_metrics_at"], name="post_metrics_due_idx"),
        ]

    def __str__(self) -> str:
        return _("%(platform)s · task %(task)s · %(status)s") % {
            "platform": self.get_platform_display(),
            "task": self.task_id,
            "status": self.get_status_display(),
        }
