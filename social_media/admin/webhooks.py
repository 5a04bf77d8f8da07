"""Credentials and webhooks admin: secrets go in, and never come back out."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from social_media.admin.pacing import PacingAdminMixin, pacing_fieldset
from social_media.admin.webhook_forms import CredentialsForm, WebhookForm
from social_media.admin_display import badge
from social_media.connection import credential_test_connection, webhook_send_test_event
from social_media.models import AttemptKind, PublishAttempt
from social_media.oauth import flow as oauth_flow
from social_media.oauth import views as oauth_views
from social_media.platforms.base import RETRYABLE, Outcome
from social_media.platforms.registry import PLATFORMS
from social_media.token_refresh import token_expiry_warning_days
from webhooks.models import CallbackAuth, SocialMediaCredentials, Webhook

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec

MASK = "••••••••"
# Items per check action: each makes up to two calls of at most CHECK_TIMEOUT (5 s),
# so the request stays well inside gunicorn's 30 s timeout.
MAX_CHECKS = 2


@admin.register(SocialMediaCredentials)
class SocialMediaCredentialsAdmin(PacingAdminMixin, admin.ModelAdmin):
    form = CredentialsForm
    list_display = (
        "__str__",
        "platform",
        "token_status",
        "extra_data",
        "languages",
        "is_active",
        "reconnect_flag",
        "token_expiry",
        "pace_summary",
        "last_error",
        "notice",
    )
    list_filter = ("platform", "is_active", "needs_reconnect")
    readonly_fields = (
        "needs_reconnect",
        "last_error",
        "notice",
        "quota",
        "connection_check",
        "oauth_reconnect",
        "granted_scopes",
        "pace_state",
        "publish_slots",
        "created_at",
        "updated_at",
    )
    actions = ["test_connection", "apply_suggested_pace", "lift_spam_slowdown"]
    change_list_template = "admin/webhooks/socialmediacredentials/change_list.html"

    def get_fieldsets(
        self, request: HttpRequest, obj: SocialMediaCredentials | None = None
    ) -> _FieldsetSpec:
        tokens = ["access_token", "refresh_token", "token_expires_at"]
        if obj is not None:
            tokens.insert(2, "clear_refresh_token")
        return (
            (None, {"fields": ("platform", "extra_data", "languages", "is_active")}),
            (_("Tokens"), {"fields": (*tokens, "granted_scopes")}),
            (
                _("Health"),
                {
                    "fields": (
                        "needs_reconnect",
                        "last_error",
                        "notice",
                        "quota",
                        "connection_check",
                        "oauth_reconnect",
                    )
                },
            ),
            pacing_fieldset(request, obj),
            (_("Record"), {"fields": ("created_at", "updated_at")}),
        )

    def save_model(
        self,
        request: HttpRequest,
        obj: SocialMediaCredentials,
        form: forms.ModelForm[SocialMediaCredentials],
        change: bool,
    ) -> None:
        if getattr(form, "token_replaced", False):
            obj.needs_reconnect = False
            obj.last_error = ""
        super().save_model(request, obj, form, change)

    @admin.display(description=_("access token"))
    def token_status(self, credential: SocialMediaCredentials) -> str:
        return gettext("set") if credential.access_token else gettext("not set")

    @admin.display(description=_("needs reconnection"), ordering="needs_reconnect")
    def reconnect_flag(self, credential: SocialMediaCredentials) -> str:
        if credential.needs_reconnect:
            return badge("⚠️ " + gettext("Reconnect"), "#dc3545")
        return "—"

    @admin.display(description=_("token expiry"), ordering="token_expires_at")
    def token_expiry(self, credential: SocialMediaCredentials) -> str:
        return expiry_badge(
            credential.token_expires_at, token_expiry_warning_days(credential.platform)
        )

    @admin.display(description=_("quota today"))
    def quota(self, credential: SocialMediaCredentials) -> str:
        platform = PLATFORMS.get(credential.platform)
        used = platform.quota_today(credential) if platform and credential.pk else None
        if used is None:
            return "—"
        return gettext("%(used)d of %(limit)d") % {"used": used[0], "limit": used[1]}

    @admin.display(description=_("connection"))
    def connection_check(self, credential: SocialMediaCredentials) -> str:
        if not credential.pk:
            return "—"
        url = reverse("admin:webhooks_socialmediacredentials_test_connection", args=[credential.pk])
        return format_html(
            '<button type="submit" class="button" formaction="{}" formnovalidate>{}</button>'
            '<div class="help">{}</div>',
            url,
            gettext("Test connection"),
            gettext("Uses the saved token; unsaved changes on this page are discarded."),
        )

    @admin.display(description=_("reconnect"))
    def oauth_reconnect(self, credential: SocialMediaCredentials) -> str:
        key = oauth_flow.connect_key_for(credential.platform) if credential.pk else None
        if key is None:
            return "—"
        url = reverse("admin:webhooks_socialmediacredentials_connect", args=[key])
        return format_html(
            '<a class="button oauth-reconnect" href="{}?credential={}">{}</a>'
            '<div class="help">{}</div>',
            url,
            credential.pk,
            gettext("Reconnect"),
            gettext("Signs in again and replaces the token; posts and settings stay."),
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        buttons = []
        if self.has_change_permission(request):
            buttons = [
                {
                    "key": platform.key,
                    "label": platform.label,
                    "url": reverse(
                        "admin:webhooks_socialmediacredentials_connect", args=[platform.key]
                    ),
                }
                for platform, _provider in oauth_flow.connectable()
            ]
        return super().changelist_view(
            request, {**(extra_context or {}), "connect_buttons": buttons}
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.test_connection_view)
        return [
            path(
                "<int:object_id>/test-connection/",
                view,
                name="webhooks_socialmediacredentials_test_connection",
            ),
            path(
                "connect/<str:platform>/",
                self.admin_site.admin_view(oauth_views.connect_start),
                name="webhooks_socialmediacredentials_connect",
            ),
            path(
                "connect/<str:platform>/pick/",
                self.admin_site.admin_view(self.connect_pick_view),
                name="webhooks_socialmediacredentials_connect_pick",
            ),
            *super().get_urls(),
        ]

    def connect_pick_view(self, request: HttpRequest, platform: str) -> HttpResponse:
        context = {**self.admin_site.each_context(request), "opts": self.model._meta}
        return oauth_views.connect_pick(request, platform, context)

    def test_connection_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        credential = self.get_object(request, str(object_id))
        if credential is None:
            raise Http404
        if not self.has_change_permission(request, credential):
            raise PermissionDenied
        self._report_connection(request, credential)
        return redirect(
            reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk])
        )

    @admin.action(permissions=["change"], description=_("Test connection"))
    def test_connection(
        self, request: HttpRequest, queryset: QuerySet[SocialMediaCredentials]
    ) -> None:
        if too_many(self, request, queryset):
            return
        for credential in queryset.order_by("id"):
            self._report_connection(request, credential)

    def _report_connection(self, request: HttpRequest, credential: SocialMediaCredentials) -> None:
        verdict = credential_test_connection(credential=credential)
        level = messages.SUCCESS if verdict.ok else messages.ERROR
        self.message_user(request, f"{credential}: {verdict.message}", level)


def too_many(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> bool:
    """More than ``MAX_CHECKS`` selected: say so instead of a slow, timing-out request."""
    if queryset.count() <= MAX_CHECKS:
        return False
    model_admin.message_user(
        request,
        gettext("Select at most %(count)d at a time: each one calls the platform.")
        % {"count": MAX_CHECKS},
        messages.ERROR,
    )
    return True


def expiry_badge(expires_at: datetime | None, warning_days: int | None = None) -> str:
    """ "expires in N days" / "expired", coloured by urgency; "—" without an expiry.

    Within ``warning_days`` (the platform's rule, e.g. when Pinterest refreshes) it is due.
    """
    if expires_at is None:
        return "—"
    left = expires_at - timezone.now()
    when = formats.date_format(timezone.localtime(expires_at), "DATETIME_FORMAT")
    if left.total_seconds() <= 0:
        label, colour = gettext("expired"), "#dc3545"
    elif left.days < 1:
        label, colour = gettext("expires within a day"), "#fd7e14"
    else:
        label = ngettext("expires in %(days)d day", "expires in %(days)d days", left.days) % {
            "days": left.days
        }
        soon = warning_days is not None and left.days < warning_days
        colour = "#fd7e14" if soon else "#198754"
    return format_html('<span title="{}">{}</span>', when, badge(label, colour))


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
class WebhookAdmin(PacingAdminMixin, admin.ModelAdmin):
    form = WebhookForm
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
        "api_key_status",
        "is_active",
        "pace_summary",
        "last_delivery",
    )
    list_filter = ("webhook_type", "service_name", "is_active", "callback_auth")
    search_fields = ("url", "service_name")
    readonly_fields = (
        "masked_secret",
        "previous_secret_expires_at",
        "last_error",
        "last_delivery",
        "last_delivery_error",
        "pace_state",
        "publish_slots",
        "created_at",
        "updated_at",
    )
    actions = ["rotate_secret", "send_test_event", "apply_suggested_pace", "lift_spam_slowdown"]

    def get_fieldsets(self, request: HttpRequest, obj: Webhook | None = None) -> _FieldsetSpec:
        api_key = ["make_api_key"] if obj is None else ["make_api_key", "clear_make_api_key"]
        return (
            (None, {"fields": ("url", "service_name", "webhook_type", "is_active")}),
            (
                _("Delivery"),
                {"fields": ("target_platforms", "payload_format", "languages", "last_error")},
            ),
            (_("Last delivery"), {"fields": ("last_delivery", "last_delivery_error")}),
            pacing_fieldset(request, obj),
            (
                _("Authentication"),
                {
                    "fields": (
                        "callback_auth",
                        "masked_secret",
                        "previous_secret_expires_at",
                        *api_key,
                    )
                },
            ),
            (_("Record"), {"fields": ("created_at", "updated_at")}),
        )

    @admin.display(description=_("Make API key"))
    def api_key_status(self, webhook: Webhook) -> str:
        return gettext("set") if webhook.make_api_key else gettext("not set")

    @admin.display(description=_("signing secret"))
    def masked_secret(self, webhook: Webhook) -> str:
        if not webhook.pk:
            return gettext("Generated when the webhook is saved; shown once.")
        return format_html("<code>whsec_{}</code>", MASK)

    def response_add(
        self, request: HttpRequest, obj: Webhook, *args: Any, **kwargs: Any
    ) -> HttpResponse:
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

    @admin.action(permissions=["change"], description=_("Send a test event"))
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        if too_many(self, request, queryset):
            return
        for webhook in queryset.order_by("id"):
            answer = webhook_send_test_event(webhook=webhook)
            level = messages.SUCCESS if answer.ok else messages.ERROR
            self.message_user(request, f"{webhook}: {answer.message}", level)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Webhook]:
        """Each webhook with its latest delivery attempt, in the same query."""
        latest = PublishAttempt.objects.filter(
            post__webhook=OuterRef("pk"), kind=AttemptKind.PUBLISH
        ).order_by("-started_at", "-id")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_delivery_at=Subquery(latest.values("started_at")[:1]),
                last_delivery_status=Subquery(latest.values("http_status")[:1]),
                last_delivery_outcome=Subquery(latest.values("outcome")[:1]),
                last_delivery_message=Subquery(latest.values("error_message")[:1]),
            )
        )

    @admin.display(description=_("last delivery"), ordering="last_delivery_at")
    def last_delivery(self, webhook: Webhook) -> str:
        return delivery_badge(
            getattr(webhook, "last_delivery_at", None),
            getattr(webhook, "last_delivery_status", None),
            getattr(webhook, "last_delivery_outcome", None),
        )

    @admin.display(description=_("last delivery error"))
    def last_delivery_error(self, webhook: Webhook) -> str:
        return getattr(webhook, "last_delivery_message", None) or "—"


DELIVERED = {Outcome.SUCCESS, Outcome.ACCEPTED}


def delivery_badge(at: datetime | None, status: int | None, outcome: str | None) -> str:
    """ "HTTP 200 · accepted" coloured by outcome, with the time; "never" without one."""
    if at is None:
        return gettext("never")
    if not outcome:
        label, colour = gettext("in progress"), "#0d6efd"
    else:
        label = f"HTTP {status} · {outcome}" if status else outcome
        if outcome in DELIVERED:
            colour = "#198754"
        elif outcome in RETRYABLE:
            colour = "#fd7e14"
        else:
            colour = "#dc3545"
    when = formats.date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")
    return format_html("{} <small>{}</small>", badge(label, colour), when)
