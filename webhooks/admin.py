"""Credentials and webhooks admin: secrets go in, and never come back out."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from social_media.admin_display import badge
from webhooks.models import CallbackAuth, SocialMediaCredentials, Webhook

MASK = "••••••••"
TOKEN_FIELDS = ("access_token", "refresh_token")


def _token_input() -> forms.CharField:
    return forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


class CredentialsForm(forms.ModelForm):
    """Token fields are write-only: empty on display, empty on submit keeps the token."""

    access_token = _token_input()
    refresh_token = _token_input()
    clear_refresh_token = forms.BooleanField(label=_("Remove the refresh token"), required=False)

    class Meta:
        model = SocialMediaCredentials
        fields = (
            "platform",
            "access_token",
            "refresh_token",
            "token_expires_at",
            "extra_data",
            "languages",
            "is_active",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.token_replaced = False
        for name in TOKEN_FIELDS:
            field = self.fields[name]
            field.label = SocialMediaCredentials._meta.get_field(name).verbose_name.capitalize()
            self.initial[name] = ""
            if self.instance.pk:
                stored = getattr(self.instance, name)
                field.help_text = (
                    _("A token is set. Leave empty to keep the current token.")
                    if stored
                    else _("No token is set.")
                )
        if not self.instance.pk:
            self.fields["access_token"].required = True
            del self.fields["clear_refresh_token"]

    def clean_access_token(self) -> str:
        value = self.cleaned_data.get("access_token", "")
        if value:
            self.token_replaced = True
            return value
        return self.instance.access_token

    def clean_refresh_token(self) -> str:
        value = self.cleaned_data.get("refresh_token", "")
        if value:
            return value
        if self.data.get(self.add_prefix("clear_refresh_token")):
            return ""
        return self.instance.refresh_token


@admin.register(SocialMediaCredentials)
class SocialMediaCredentialsAdmin(admin.ModelAdmin):
    form = CredentialsForm
    list_display = (
        "__str__",
        "platform",
        "token_status",
        "extra_data",
        "languages",
        "is_active",
        "reconnect_flag",
        "token_expires_at",
        "last_error",
    )
    list_filter = ("platform", "is_active", "needs_reconnect")
    readonly_fields = ("needs_reconnect", "last_error", "created_at", "updated_at")

    def get_fieldsets(self, request: HttpRequest, obj: SocialMediaCredentials | None = None):
        tokens = ["access_token", "refresh_token", "token_expires_at"]
        if obj is not None:
            tokens.insert(2, "clear_refresh_token")
        return (
            (None, {"fields": ("platform", "extra_data", "languages", "is_active")}),
            (_("Tokens"), {"fields": tokens}),
            (_("Health"), {"fields": ("needs_reconnect", "last_error")}),
            (_("Record"), {"fields": ("created_at", "updated_at")}),
        )

    def save_model(self, request, obj: SocialMediaCredentials, form, change: bool) -> None:
        if getattr(form, "token_replaced", False):
            obj.needs_reconnect = False
            obj.last_error = ""
        super().save_model(request, obj, form, change)

    @admin.display(description=_("access token"))
    def token_status(self, credential: SocialMediaCredentials) -> str:
        return gettext("set") if credential.access_token else gettext("not set")

    @admin.display(description=_("needs reconnection"), ordering="needs_reconnect")
    def reconnect_flag(self, credential: SocialMediaCredentials):
        if credential.needs_reconnect:
            return badge("⚠️ " + gettext("Reconnect"), "#dc3545")
        return "—"


def _secret_notice(webhook: Webhook, secret: str) -> str:
    if webhook.callback_auth == CallbackAuth.BEARER:
        text = gettext(
            "%(webhook)s: bearer token %(secret)s — copy it now, it will not be shown again."
        )
    else:
        text = gettext(
            "%(webhook)s: signing secret %(secret)s — copy it now, it will not be shown again."
        )
    return text % {"webhook": webhook, "secret": secret}


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "__str__",
        "url",
        "webhook_type",
        "target_platforms",
        "payload_format",
        "languages",
        "callback_auth",
        "masked_secret",
        "is_active",
        "last_error",
    )
    list_filter = ("webhook_type", "service_name", "is_active", "callback_auth")
    search_fields = ("url", "service_name")
    readonly_fields = ("masked_secret", "previous_secret_expires_at", "last_error")
    readonly_fields += ("created_at", "updated_at")
    actions = ["rotate_secret"]
    fieldsets = (
        (None, {"fields": ("url", "service_name", "webhook_type", "is_active")}),
        (
            _("Delivery"),
            {"fields": ("target_platforms", "payload_format", "languages", "last_error")},
        ),
        (
            _("Authentication"),
            {"fields": ("callback_auth", "masked_secret", "previous_secret_expires_at")},
        ),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=_("signing secret"))
    def masked_secret(self, webhook: Webhook):
        if not webhook.pk:
            return gettext("Generated when the webhook is saved; shown once.")
        return format_html("<code>whsec_{}</code>", MASK)

    def response_add(self, request: HttpRequest, obj: Webhook, *args, **kwargs) -> HttpResponse:
        self.message_user(request, _secret_notice(obj, obj.secret), messages.WARNING)
        return super().response_add(request, obj, *args, **kwargs)

    @admin.action(permissions=["change"], description=_("Rotate signing secret"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        for webhook in queryset:
            secret = webhook.rotate_secret()
            self.message_user(
                request,
                _secret_notice(webhook, secret)
                + " "
                + gettext("The old secret keeps verifying for 24 hours."),
                messages.WARNING,
            )
