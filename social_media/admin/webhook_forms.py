"""Admin forms: write-only tokens, and one active target per platform and language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from quiz_backend.json_fields import (
    ExtraDataField,
    LanguagesField,
    ShapedJSONFormMixin,
    WebhookPlatformsField,
)
from social_media.admin.pacing import PACE_FORM_FIELDS
from social_media.platforms.registry import PLATFORMS, api_platform_choices
from webhooks.models import SocialMediaCredentials, Webhook, WebhookType

TOKEN_FIELDS = ("access_token", "refresh_token")


def _codes(languages: object) -> set[str] | None:
    """Language codes as a set; ``None`` means every language (an empty list)."""
    if not isinstance(languages, list) or not languages:
        return None
    return {str(code).strip().lower() for code in languages}


def languages_overlap(first: object, second: object) -> set[str] | None:
    """The languages both lists take: ``None`` for all, an empty set for none."""
    a, b = _codes(first), _codes(second)
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def describe_languages(codes: set[str] | None) -> str:
    return gettext("all languages") if codes is None else ", ".join(sorted(codes))


def _clash_list(clashes: Iterable[tuple[object, set[str] | None]]) -> str:
    return "; ".join(
        gettext("%(other)s (%(languages)s)")
        % {"other": other, "languages": describe_languages(codes)}
        for other, codes in clashes
    )


def extra_data_help(base: object) -> str:
    """The model's help text, then each API platform's own (``extra_data_help``)."""
    extra = [
        str(help_text)
        for platform in PLATFORMS.values()
        if (help_text := getattr(platform, "extra_data_help", ""))
    ]
    return " ".join([str(base), *extra])


def _token_input() -> forms.CharField:
    return forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


class CredentialsForm(ShapedJSONFormMixin, forms.ModelForm):
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
            *PACE_FORM_FIELDS,
        )
        field_classes = {"extra_data": ExtraDataField, "languages": LanguagesField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token_replaced = False
        if "extra_data" in self.fields:
            self.fields["extra_data"].help_text = extra_data_help(
                self.fields["extra_data"].help_text
            )
        for name in TOKEN_FIELDS:
            field = self.fields[name]
            model_field = SocialMediaCredentials._meta.get_field(name)
            assert isinstance(model_field, models.Field)
            field.label = str(model_field.verbose_name).capitalize()
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

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        platform = cleaned.get("platform")
        languages = cleaned.get("languages")
        if not cleaned.get("is_active") or not platform or "languages" not in cleaned:
            return cleaned  # a field with its own error: no clash to report yet
        others = SocialMediaCredentials.objects.filter(platform=platform, is_active=True)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        clashes = [
            (other, codes)
            for other in others.order_by("id")
            if (codes := languages_overlap(languages or [], other.languages)) != set()
        ]
        if clashes:
            # The form field offers exactly the model field's choices.
            label = dict(api_platform_choices()).get(platform, platform)
            raise ValidationError(
                gettext(
                    "Another active %(platform)s account takes the same task languages: "
                    "%(others)s. Give each account different languages, or deactivate one."
                )
                % {"platform": label, "others": _clash_list(clashes)}
            )
        return cleaned


def _https_by_default(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class WebhookForm(ShapedJSONFormMixin, forms.ModelForm):
    """Two active social-media webhooks may not serve one platform in one language.

    The Make API key is write-only, like the credentials' tokens: empty on display,
    empty on submit keeps the stored key.
    """

    make_api_key = _token_input()
    clear_make_api_key = forms.BooleanField(label=_("Remove the API key"), required=False)

    class Meta:
        model = Webhook
        formfield_callback = _https_by_default
        fields = (
            "url",
            "service_name",
            "webhook_type",
            "is_active",
            "target_platforms",
            "payload_format",
            "languages",
            "callback_auth",
            "make_api_key",
            *PACE_FORM_FIELDS,
        )
        field_classes = {"target_platforms": WebhookPlatformsField, "languages": LanguagesField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["make_api_key"]
        model_field = Webhook._meta.get_field("make_api_key")
        assert isinstance(model_field, models.Field)
        field.label = str(model_field.verbose_name)
        self.initial["make_api_key"] = ""
        if self.instance.pk and self.instance.make_api_key:
            field.help_text = _(
                "An API key is set; it is sent as the x-make-apikey header. Leave empty to keep it."
            )
        else:
            field.help_text = model_field.help_text
        if not self.instance.pk:
            del self.fields["clear_make_api_key"]

    def clean_make_api_key(self) -> str:
        value = self.cleaned_data.get("make_api_key", "")
        if value:
            return value
        if self.data.get(self.add_prefix("clear_make_api_key")):
            return ""
        return self.instance.make_api_key

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        targets = cleaned.get("target_platforms") or []
        languages = cleaned.get("languages")
        if (
            not cleaned.get("is_active")
            or cleaned.get("webhook_type") != WebhookType.SOCIAL_MEDIA
            or "target_platforms" not in cleaned
            or "languages" not in cleaned
        ):
            return cleaned  # a field with its own error: no clash to report yet
        others = Webhook.objects.filter(is_active=True, webhook_type=WebhookType.SOCIAL_MEDIA)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        messages = []
        for other in others.order_by("id"):
            theirs = other.target_platforms if isinstance(other.target_platforms, list) else []
            shared = sorted(set(targets) & {t for t in theirs if isinstance(t, str)})
            codes = languages_overlap(languages or [], other.languages)
            if shared and codes != set():
                messages.append(
                    gettext(
                        "Another active webhook already sends %(platforms)s for the same task "
                        "languages: %(others)s. Give each webhook different platforms or "
                        "languages, or deactivate one."
                    )
                    % {"platforms": ", ".join(shared), "others": _clash_list([(other, codes)])}
                )
        if messages:
            raise ValidationError(messages)
        return cleaned
