"""The pace of a credential or webhook in the admin: its fields, its state, one-click actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from social_media import pacing
from social_media.admin_display import badge

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldOpts
    from django_stubs_ext import StrOrPromise

#: The editable pacing fields (both forms list them).
PACE_FORM_FIELDS = ("min_gap_seconds", "daily_cap", "quiet_start", "quiet_end", "time_zone")


def pacing_fieldset(request: HttpRequest, obj: Any = None) -> tuple[StrOrPromise, _FieldOpts]:
    """The pace's fields and state; a saved target's slots linked for those who may see them."""
    slots = (
        ("publish_slots",)
        if obj is not None and request.user.has_perm("social_media.view_publishslot")
        else ()
    )
    return (
        _("Pacing"),
        {
            "fields": (*PACE_FORM_FIELDS, "pace_state", *slots),
            "description": _(
                "The defaults (0 and empty) mean no pacing: every post goes when due. "
                "Otherwise a post due too soon after the previous one, past the daily cap or "
                "in the quiet hours waits for the next free slot (see the calendar)."
            ),
        },
    )


class PacingAdminMixin:
    """For the credentials and webhooks admins."""

    message_user: Any

    @admin.display(description=_("pace"))
    def pace_summary(self, target: Any) -> str:
        text = pacing.describe_pace(target)
        spam = pacing.spam_state(target)
        if spam is None:
            return text
        return format_html("{} {}", text, spam_badge(*spam))

    @admin.display(description=_("pace now"))
    def pace_state(self, target: Any) -> str:
        if not target.pk:
            return "—"
        spam = pacing.spam_state(target)
        suggestion = pacing.suggested_pace_for(target)
        suggested = "—"
        if suggestion is not None:
            suggested = gettext("gap %(gap)d s, cap %(cap)s a day") % {
                "gap": suggestion[0],
                "cap": suggestion[1] or "—",
            }
        return format_html(
            "{}{}<div class='help'>{} {}</div>",
            pacing.describe_pace(target),
            format_html(" {}", spam_badge(*spam)) if spam else "",
            gettext("Suggested by the platform:"),
            suggested,
        )

    @admin.display(description=_("publishing slots"))
    def publish_slots(self, target: Any) -> str:
        if not target.pk:
            return "—"
        key = pacing.target_key(target)
        return format_html(
            '<a href="{}?target={}">{}</a>',
            reverse("admin:social_media_publishslot_changelist"),
            key,
            gettext("The times this target gives its posts (%(key)s)") % {"key": key},
        )

    @admin.action(permissions=["change"], description=_("🐢 Apply the platform's suggested pace"))
    def apply_suggested_pace(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        applied = sum(1 for target in queryset if pacing.apply_suggested_pace(target))
        self.message_user(
            request,
            ngettext(
                "The suggested pace was applied to %(count)d target; its waiting posts were "
                "planned again.",
                "The suggested pace was applied to %(count)d targets; their waiting posts were "
                "planned again.",
                applied,
            )
            % {"count": applied},
            messages.SUCCESS,
        )

    @admin.action(permissions=["change"], description=_("Lift the spam slow-down"))
    def lift_spam_slowdown(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        lifted = 0
        for target in queryset:
            if pacing.spam_state(target):
                pacing.spam_reset(target)
                lifted += 1
        self.message_user(
            request,
            ngettext(
                "Slow-down lifted on %(count)d target.",
                "Slow-down lifted on %(count)d targets.",
                lifted,
            )
            % {"count": lifted},
            messages.SUCCESS,
        )


def spam_badge(factor: int, until: Any) -> str:
    return badge(
        "🐢 "
        + gettext("slowed down ×%(factor)d after a spam answer, until %(until)s")
        % {"factor": factor, "until": formats.localize(until.astimezone())},
        "#fd7e14",
    )
