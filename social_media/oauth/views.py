"""The Connect pages: start (admin), the provider's callback (``/oauth/<platform>/callback/``)
and the pick page (admin). Every one needs a staff user with the change permission on
credentials; a refused step is an admin message and stores nothing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from social_media.oauth import flow
from webhooks.models import SocialMediaCredentials

CHANGE_PERMISSION = (
    f"{SocialMediaCredentials._meta.app_label}.change_{SocialMediaCredentials._meta.model_name}"
)


def _changelist() -> HttpResponse:
    return redirect(reverse("admin:webhooks_socialmediacredentials_changelist"))


def _require_permission(request: HttpRequest) -> int:
    user = request.user
    if not (user.is_active and user.is_staff and user.has_perm(CHANGE_PERMISSION)):
        raise PermissionDenied
    return int(user.pk)


def _refused(request: HttpRequest, error: flow.FlowError) -> HttpResponse:
    messages.error(request, error.message)
    return _changelist()


def connect_start(request: HttpRequest, platform: str) -> HttpResponse:
    user_id = _require_permission(request)
    raw = request.GET.get("credential", "")
    try:
        credential_id = int(raw) if raw else None
    except ValueError:
        credential_id = None
    try:
        url = flow.flow_start(
            session=request.session,
            user_id=user_id,
            platform_key=platform,
            credential_id=credential_id,
        )
    except flow.FlowError as error:
        return _refused(request, error)
    return redirect(url)


def oauth_callback(request: HttpRequest, platform: str) -> HttpResponse:
    """Wrapped in ``admin_view`` by the URLconf: anonymous users go to the admin login."""
    user_id = _require_permission(request)
    try:
        flow.flow_callback(
            session=request.session,
            user_id=user_id,
            platform_key=platform,
            query=request.GET.dict(),
        )
    except flow.FlowError as error:
        return _refused(request, error)
    # Away from the URL that carried the code.
    return redirect(reverse("admin:webhooks_socialmediacredentials_connect_pick", args=[platform]))


def connect_pick(request: HttpRequest, platform: str, admin_context: dict) -> HttpResponse:
    user_id = _require_permission(request)
    try:
        found_platform, provider = flow.provider_of(platform)
        if request.method == "POST":
            credential, created = flow.flow_pick(
                session=request.session,
                user_id=user_id,
                platform_key=platform,
                choice=request.POST.get("choice", ""),
            )
            text = _("%(credential)s connected.") if created else _("%(credential)s reconnected.")
            messages.success(request, text % {"credential": credential})
            return redirect(
                reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk])
            )
        pending = flow.pending_pick(session=request.session, user_id=user_id, platform_key=platform)
    except flow.FlowError as error:
        return _refused(request, error)
    choices = [
        {
            "value": f"{d.platform}:{d.id}",
            "name": d.name,
            "id": d.id,
            "kind": flow.PLATFORMS[d.platform].label
            if d.platform in flow.PLATFORMS
            else d.platform,
            "note": d.note,
            "unusable": flow.usable(d, pending),
        }
        for d in pending.destinations
    ]
    context = {
        **admin_context,
        "title": _("Connect %(platform)s: choose where to publish")
        % {"platform": found_platform.label},
        "platform_label": found_platform.label,
        "choices": choices,
        "missing_scopes": flow.missing_scopes(provider, pending.grant),
        "reconnecting": pending.credential_id is not None,
    }
    return TemplateResponse(request, "admin/social_media/oauth_pick.html", context)
