from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from social_media.platforms.base import Outcome


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
