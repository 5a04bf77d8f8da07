"""The admin's publishing calendar (staff only, see urls.py): week and month views, moving
a task's posts to another day, publishing a post now."""

from __future__ import annotations

from datetime import date

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from social_media import pacing
from social_media.calendar import KIND_LABELS, build_calendar
from social_media.platforms.registry import PLATFORMS
from tasks.models import PostStatus, SocialMediaPost, Task

VIEWS = {"week": _("Week"), "month": _("Month")}


def _day(value: str | None) -> date | None:
    try:
        parsed = date.fromisoformat(value or "")
    except ValueError:
        return None
    return parsed if date(2000, 1, 1) <= parsed <= date(2100, 12, 31) else None


def calendar_view(request: HttpRequest) -> TemplateResponse:
    if not request.user.has_perm("tasks.view_socialmediapost"):
        raise PermissionDenied
    view = request.GET.get("view", "week")
    if view not in VIEWS:
        view = "week"
    anchor = _day(request.GET.get("date")) or timezone.localdate()
    platform = request.GET.get("platform", "")
    if platform not in PLATFORMS:
        platform = ""
    calendar = build_calendar(view, anchor, platform)
    context = {
        **admin.site.each_context(request),
        "title": _("Publishing calendar"),
        "calendar": calendar,
        "views": VIEWS,
        "platforms": [(key, p.label) for key, p in PLATFORMS.items()],
        "legend": [(kind, label, calendar.counts[kind]) for kind, label in KIND_LABELS.items()],
        "can_change": request.user.has_perm("tasks.change_task"),
        "here": request.get_full_path(),
        # Reversed once, not for each of the (many) posts drawn.
        "task_url": reverse("admin:tasks_task_changelist"),
        "move_url": reverse("admin-calendar-move"),
        "publish_now_url": reverse("admin-calendar-publish-now"),
    }
    return TemplateResponse(request, "admin/social_media/calendar.html", context)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin-calendar")
    return redirect(target)


def _post_only(request: HttpRequest) -> None:
    if request.method != "POST":
        raise _NotPost
    if not request.user.has_perm("tasks.change_task"):
        raise PermissionDenied


class _NotPost(Exception):
    pass


def calendar_move_view(request: HttpRequest) -> HttpResponse:
    """Move a published task's waiting posts to another day (its publish date follows)."""
    try:
        _post_only(request)
    except _NotPost:
        return HttpResponseNotAllowed(["POST"])
    task = Task.objects.filter(pk=request.POST.get("task", "")[:12] or 0).first()
    if task is None:
        raise Http404
    day = _day(request.POST.get("day"))
    if day is None:
        messages.error(request, gettext("Choose a day to move the posts to."))
    elif not task.published:
        messages.error(request, gettext("The task is not published: publish it first."))
    elif day < timezone.localdate():
        messages.error(request, gettext("Posts cannot be moved to a day in the past."))
    else:
        pacing.task_move_to_day(task, day)
        messages.success(
            request,
            gettext("Task %(task)s: its waiting posts moved to %(day)s.")
            % {"task": task.pk, "day": formats.date_format(day, "SHORT_DATE_FORMAT")},
        )
    return _back(request)


def calendar_publish_now_view(request: HttpRequest) -> HttpResponse:
    """*Skip the queue*: send a waiting post now, whatever its target's pace."""
    try:
        _post_only(request)
    except _NotPost:
        return HttpResponseNotAllowed(["POST"])
    post = SocialMediaPost.objects.filter(pk=request.POST.get("post", "")[:12] or 0).first()
    if post is None:
        raise Http404
    if post.status == PostStatus.PENDING and pacing.post_publish_now(post):
        messages.success(
            request,
            gettext("%(platform)s, task %(task)s: sent now, ahead of the queue.")
            % {"platform": post.get_platform_display(), "task": post.task_id},
        )
    else:
        messages.warning(request, gettext("This post is not waiting any more: nothing to send."))
    return _back(request)
