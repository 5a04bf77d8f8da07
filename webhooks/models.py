from __future__ import annotations

import base64
import secrets
import zoneinfo
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quiz_backend import platform_catalog
from quiz_backend.encryption import EncryptedTextField
from quiz_backend.json_fields import EXTRA_DATA, LANGUAGES, WEBHOOK_PLATFORMS, json_field_errors


def generate_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + 32 random bytes, base64-encoded."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# Make.com custom webhooks: "the key must contain ASCII characters and be no longer than
# 512 characters" (https://apps.make.com/gateway). Our floor of 8 keeps it maskable in logs.
MAKE_API_KEY_MIN_LENGTH = 8
MAKE_API_KEY_MAX_LENGTH = 512


def validate_make_api_key(value: str) -> None:
    """Printable ASCII (a header value), 8 to 512 characters; never echoes the value."""
    if not value:
        return
    if not (MAKE_API_KEY_MIN_LENGTH <= len(value) <= MAKE_API_KEY_MAX_LENGTH):
        raise ValidationError(
            _("The API key must be %(min)d to %(max)d characters long.")
            % {"min": MAKE_API_KEY_MIN_LENGTH, "max": MAKE_API_KEY_MAX_LENGTH},
            code="api_key_length",
        )
    if not all(" " <= char <= "~" for char in value) or value != value.strip():
        raise ValidationError(
            _(
                "The API key may contain only printable ASCII characters "
                "(no line breaks, no spaces at either end)."
            ),
            code="api_key_characters",
        )


def _validate_languages(value: object) -> None:
    LANGUAGES.validate(value)


def _languages_if_null(instance: models.Model) -> dict[str, ValidationError]:
    """Django runs no field validator on ``None`` (the field is blank): clean() does."""
    if getattr(instance, "languages", None) is None:
        return json_field_errors(instance, languages=LANGUAGES)
    return {}


def validate_time_zone(value: str) -> None:
    """An IANA zone name such as ``Europe/Moscow``; empty means the site's zone."""
    if not value:
        return
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("Unknown time zone: use a name such as “Europe/Moscow” or “UTC”."),
            code="time_zone",
        ) from None


class Pacing(models.Model):
    """How fast one target may publish; the defaults mean no pacing (see social_media.pacing)."""

    min_gap_seconds = models.PositiveIntegerField(
        _("minimum gap, seconds"),
        default=0,
        blank=True,  # empty: 0 (see clean_pacing), so a form that leaves it out changes nothing
        help_text=_("At least this long between two posts; 0: no gap."),
    )
    daily_cap = models.PositiveIntegerField(
        _("posts per day"),
        default=0,
        blank=True,
        help_text=_("At most this many posts a day (in the time zone below); 0: no cap."),
    )
    quiet_start = models.TimeField(
        _("quiet hours from"),
        null=True,
        blank=True,
        help_text=_("No posts from this time (local) …"),
    )
    quiet_end = models.TimeField(
        _("quiet hours until"),
        null=True,
        blank=True,
        help_text=_("… until this time; may cross midnight (22:00 to 08:00)."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        default="",
        validators=[validate_time_zone],
        help_text=_(
            "For the daily cap and the quiet hours, e.g. Europe/Moscow; empty: the site's."
        ),
    )
    spam_factor = models.PositiveSmallIntegerField(
        _("spam slow-down"),
        default=1,
        editable=False,
        help_text=_("The gap is multiplied by this after the platform answered “spam”."),
    )
    spam_until = models.DateTimeField(_("slowed down until"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def clean_pacing(self) -> dict[str, ValidationError]:
        self.min_gap_seconds = self.min_gap_seconds or 0
        self.daily_cap = self.daily_cap or 0
        if (self.quiet_start is None) != (self.quiet_end is None):
            return {
                "quiet_end": ValidationError(_("Give both ends of the quiet hours, or neither."))
            }
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            return {
                "quiet_end": ValidationError(
                    _("The quiet hours must not start and end at the same time.")
                )
            }
        return {}


class SocialMediaCredentials(Pacing):
    """Access to one account of an API platform (Pinterest board, Facebook page)."""

    platform = models.CharField(
        _("platform"), max_length=32, choices=platform_catalog.api_platform_choices
    )
    access_token = EncryptedTextField(_("access token"))
    refresh_token = EncryptedTextField(_("refresh token"), blank=True, default="")
    token_expires_at = models.DateTimeField(_("token expires at"), null=True, blank=True)
    extra_data = models.JSONField(
        _("extra data"),
        default=dict,
        blank=True,
        help_text=_('Pinterest: {"board_id": "…"}; Facebook: {"page_id": "…"}.'),
    )
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        validators=[_validate_languages],
        help_text=_('Task languages this account publishes, e.g. ["ru"]; empty means all.'),
    )
    granted_scopes = models.JSONField(
        _("granted scopes"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("What the account allowed when it was connected with the Connect button."),
    )
    oauth_params = models.JSONField(
        _("OAuth parameters"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("What the provider needs on every token request (VK ID: device_id)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    needs_reconnect = models.BooleanField(
        _("needs reconnection"),
        default=False,
        help_text=_("Set when the platform rejected the token; cleared when it is replaced."),
    )
    last_error = models.TextField(_("last error"), blank=True)
    notice = models.TextField(
        _("notice"),
        blank=True,
        help_text=_(
            "What the platform said about this account, e.g. that its posts are made private."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("social media credentials")
        verbose_name_plural = _("social media credentials")
        ordering = ["platform", "id"]

    def __str__(self) -> str:
        label = platform_catalog.label(self.platform)
        return f"{label} #{self.pk}" if self.pk else str(label)

    def clean(self) -> None:
        errors = json_field_errors(self, extra_data=EXTRA_DATA) | _languages_if_null(self)
        errors |= self.clean_pacing()
        platform = platform_catalog.get(self.platform)
        if platform is None or not platform.supports("api"):
            errors["platform"] = ValidationError(_("Choose an API platform."))
        elif "extra_data" not in errors:
            try:
                platform.validate_extra_data(self.extra_data)
            except ValidationError as error:
                for name, messages in error.update_error_dict({}).items():
                    errors[name] = ValidationError(messages)
        if errors:
            raise ValidationError(errors)

    def serves(self, language: str) -> bool:
        """Empty means every language; a malformed stored value is treated as empty."""
        languages = self.languages if isinstance(self.languages, list) else []
        return not languages or language in languages


class WebhookType(models.TextChoices):
    SOCIAL_MEDIA = "social_media", _("Social media")
    TASK_EVENTS = "task_events", _("Task events")


class PayloadFormat(models.TextChoices):
    NESTED = "nested", _("Nested (content + metadata)")
    FLAT = "flat", _("Flat (Yandex Dzen style)")


class CallbackAuth(models.TextChoices):
    SIGNATURE = "signature", _("Standard Webhooks signature")
    BEARER = "bearer", _("Bearer token (secret in the Authorization header)")


class Webhook(Pacing):
    """An outgoing webhook to a Make.com / Zapier scenario."""

    url = models.URLField(_("URL"), max_length=2048)
    service_name = models.CharField(
        _("service name"), max_length=100, help_text=_("Make.com, Zapier, …")
    )
    webhook_type = models.CharField(
        _("webhook type"),
        max_length=20,
        choices=WebhookType.choices,
        default=WebhookType.SOCIAL_MEDIA,
    )
    target_platforms = models.JSONField(
        _("target platforms"),
        default=list,
        blank=True,
        help_text=_('A JSON list of platform keys, e.g. ["instagram", "tiktok"].'),
    )
    payload_format = models.CharField(
        _("payload format"),
        max_length=10,
        choices=PayloadFormat.choices,
        default=PayloadFormat.NESTED,
    )
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        validators=[_validate_languages],
        help_text=_('Task languages this webhook receives, e.g. ["ru"]; empty means all.'),
    )
    secret = EncryptedTextField(_("signing secret"), default=generate_webhook_secret)
    previous_secret = EncryptedTextField(_("previous secret"), blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True
    )
    make_api_key = EncryptedTextField(
        _("Make API key"),
        blank=True,
        default="",
        validators=[validate_make_api_key],
        help_text=_(
            "Optional. Sent as the x-make-apikey header when the Make.com custom webhook "
            "has API key authentication."
        ),
    )
    callback_auth = models.CharField(
        _("callback authentication"),
        max_length=10,
        choices=CallbackAuth.choices,
        default=CallbackAuth.SIGNATURE,
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["service_name", "id"]

    def __str__(self) -> str:
        return f"{self.service_name} #{self.pk}" if self.pk else self.service_name

    def clean(self) -> None:
        errors = json_field_errors(self, target_platforms=WEBHOOK_PLATFORMS)
        errors |= _languages_if_null(self)
        errors |= self.clean_pacing()
        if (
            "target_platforms" not in errors
            and self.webhook_type == WebhookType.SOCIAL_MEDIA
            and not self.target_platforms
        ):
            errors["target_platforms"] = ValidationError(
                _("A social media webhook needs at least one platform.")
            )
        if errors:
            raise ValidationError(errors)

    def serves(self, language: str) -> bool:
        """Empty means every language; a malformed stored value is treated as empty."""
        languages = self.languages if isinstance(self.languages, list) else []
        return not languages or language in languages

    def valid_secrets(self) -> list[str]:
        """The secrets a callback may be signed with: the current one, and the previous
        one until its overlap ends."""
        found = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at
            and self.previous_secret_expires_at > timezone.now()
        ):
            found.append(self.previous_secret)
        return found

    def rotate_secret(self, *, overlap: timedelta = timedelta(hours=24)) -> str:
        """Make a new secret; the old one keeps verifying for ``overlap``."""
        self.previous_secret = self.secret
        self.previous_secret_expires_at = timezone.now() + overlap
        self.secret = generate_webhook_secret()
        self.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        return self.secret


class CallbackReceipt(models.Model):
    """A processed callback's ``webhook-id``: a replay of it changes nothing."""

    message_id = models.CharField(_("message ID"), max_length=255)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("callback receipt")
        verbose_name_plural = _("callback receipts")
        # Message ids are unique per sender: two scenarios may pick the same id.
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "message_id"],
                condition=models.Q(webhook__isnull=False),
                name="unique_receipt_per_webhook",
            ),
            models.UniqueConstraint(
                fields=["message_id"],
                condition=models.Q(webhook__isnull=True),
                name="unique_unsigned_receipt",
            ),
        ]

    def __str__(self) -> str:
        return self.message_id
