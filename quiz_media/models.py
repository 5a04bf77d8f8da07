from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from quiz_media.validators import validate_logo

hex_color_validator = RegexValidator(
    r"^#[0-9A-Fa-f]{6}$", _("Enter a colour as #RRGGBB, for example #6366F1.")
)


class BrandSettings(models.Model):
    """The look of rendered cards and videos: one row (pk 1), edited by staff in the admin.

    Empty fields fall back to the ``QUIZ_MEDIA_*`` settings.
    """

    site_name = models.CharField(
        _("site name"), max_length=80, blank=True, help_text=_("Shown on every card.")
    )
    primary_color = models.CharField(
        _("primary colour"),
        max_length=7,
        blank=True,
        validators=[hex_color_validator],
        help_text=_("#RRGGBB: the top strip and the letters of the options."),
    )
    accent_color = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        validators=[hex_color_validator],
        help_text=_("#RRGGBB: labels, the link and the countdown."),
    )
    background_color = models.CharField(
        _("background colour"),
        max_length=7,
        blank=True,
        validators=[hex_color_validator],
        help_text=_("#RRGGBB: the card's background."),
    )
    logo = models.ImageField(
        _("logo"),
        upload_to="brand/",
        blank=True,
        validators=[validate_logo],
        help_text=_("PNG, JPEG or WebP, at most 2 MB; shown in the card's header."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("brand settings")
        verbose_name_plural = _("brand settings")

    def __str__(self) -> str:
        return str(_("Brand settings"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> BrandSettings:
        """The singleton row, or an unsaved one with the settings' defaults."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @property
    def effective_site_name(self) -> str:
        return self.site_name or settings.QUIZ_MEDIA_SITE_NAME

    @property
    def effective_primary_color(self) -> str:
        return self.primary_color or settings.QUIZ_MEDIA_PRIMARY_COLOR

    @property
    def effective_accent_color(self) -> str:
        return self.accent_color or settings.QUIZ_MEDIA_ACCENT_COLOR

    @property
    def effective_background_color(self) -> str:
        return self.background_color or settings.QUIZ_MEDIA_BACKGROUND_COLOR


class MediaKindChoices(models.TextChoices):
    QUESTION_CARD = "question_card", _("Question card")
    ANSWER_CARD = "answer_card", _("Answer card")
    VIDEO = "video", _("Video")


class RenderedFile(models.Model):
    """One stored render. ``cache_key`` is unique: two workers rendering the same media at once
    end with one row (and one file); ``last_used_at`` drives the cleanup of old renders."""

    cache_key = models.CharField(_("cache key"), max_length=64, unique=True)
    name = models.CharField(_("file"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20, choices=MediaKindChoices.choices)
    task = models.ForeignKey(
        "tasks.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rendered_files",
        verbose_name=_("task"),
    )
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    mime_type = models.CharField(_("MIME type"), max_length=40)
    bytes = models.PositiveBigIntegerField(_("bytes"))
    duration = models.FloatField(_("duration, s"), null=True, blank=True)
    # When a publish last read the stored file (Pillow/PyAV) and found it to be what this row
    # says: later publishes trust the row while the stored size still matches.
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), db_index=True)

    class Meta:
        verbose_name = _("rendered file")
        verbose_name_plural = _("rendered files")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
