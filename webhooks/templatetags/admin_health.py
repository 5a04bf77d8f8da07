"""``{% reconnect_warnings %}``: credentials the platforms rejected, for every admin page."""

from __future__ import annotations

from django import template
from django.urls import reverse

from webhooks.models import SocialMediaCredentials

register = template.Library()

ERROR_EXCERPT = 200


@register.inclusion_tag("admin/reconnect_warnings.html", takes_context=True)
def reconnect_warnings(context: template.Context) -> dict:
    """Active credentials flagged ``needs_reconnect``; nothing for anonymous visitors."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.is_staff:
        return {"warnings": []}
    warnings = [
        {
            "credential": str(credential),
            "error": _excerpt(credential.last_error),
            "url": reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk]),
        }
        for credential in SocialMediaCredentials.objects.filter(
            is_active=True, needs_reconnect=True
        ).only("pk", "platform", "last_error")
    ]
    return {"warnings": warnings}


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_EXCERPT else text[: ERROR_EXCERPT - 1] + "…"
