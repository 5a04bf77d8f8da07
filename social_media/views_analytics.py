"""The admin's publishing analytics page and its CSV download (staff only, see urls.py)."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from social_media.analytics import (
    FAILURE_KINDS,
    TOTAL_KEY,
    PlatformFigures,
    Report,
    analytics_report,
    default_range,
)
from social_media.analytics_chart import render_chart_svg
from social_media.engagement import EngagementReport
from social_media.views_engagement import (
    ENGAGEMENT_CSV_HEADER,
    by_platform,
    engagement_cells,
    engagement_context,
    posts_csv_response,
    report_for,
)

MAX_RANGE_DAYS = 366 * 5
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DATE_WIDGET_ATTRS = {"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}


class AnalyticsFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs=DATE_WIDGET_ATTRS, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs=DATE_WIDGET_ATTRS, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("date_from", "date_to"):
            value = data.get(name)
            if value and not EARLIEST <= value <= LATEST:
                self.add_error(name, _("Choose a date between 2000 and 2100."))
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start date must not be after the end date."))
            if end - start > timedelta(days=MAX_RANGE_DAYS):
                raise forms.ValidationError(_("Choose a range of at most five years."))
        return data


def _filter_form(request: HttpRequest) -> AnalyticsFilterForm:
    start, end = default_range()
    data = {
        "date_from": request.GET.get("date_from") or start.isoformat(),
        "date_to": request.GET.get("date_to") or end.isoformat(),
    }
    return AnalyticsFilterForm(data)


def format_duration(seconds: float | None) -> str:
    """A short human duration: "45 s", "2 min 5 s", "3 h 10 min", "2 d 4 h"; "—" for none."""
    if seconds is None:
        return "—"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": secs}
    return gettext("%(seconds)d s") % {"seconds": secs}


def _display(row: PlatformFigures) -> dict:
    return {
        "figures": row,
        "median": format_duration(row.median_seconds),
        "failures": [row.failures[kind] for kind in FAILURE_KINDS],
    }


VIEW_PERMISSION = "tasks.view_socialmediapost"


def _check_permission(request: HttpRequest) -> None:
    """Staff who may not see posts may not see their figures either."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied


def analytics_view(request: HttpRequest) -> HttpResponse:
    _check_permission(request)
    form = _filter_form(request)
    report: Report | None = None
    engagement = None
    if form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        report = analytics_report(date_from=start, date_to=end)
        engagement = report_for(start, end)
    context = {
        **admin.site.each_context(request),
        "title": gettext("Publishing analytics"),
        "form": form,
        "report": report,
        "failure_labels": list(FAILURE_KINDS.values()),
    }
    if report is not None:
        context.update(
            rows=[_display(row) for row in report.rows],
            total=_display(report.total),
            chart=render_chart_svg(report.rows),
            summary=ngettext(
                "%(count)d post created in this period.",
                "%(count)d posts created in this period.",
                report.total.posts,
            )
            % {"count": report.total.posts},
            csv_query=request.GET.urlencode(),
        )
    if engagement is not None:
        context.update(engagement_context(engagement))
    return TemplateResponse(request, "admin/social_media/analytics.html", context)


CSV_HEADER = [
    "platform",
    "platform_name",
    "posts",
    "published",
    "failed",
    "in_flight",
    "success_rate_percent",
    "median_seconds_to_publish",
    *(f"failed_{kind}" for kind in FAILURE_KINDS),
    *ENGAGEMENT_CSV_HEADER,
]


def csv_rows(report: Report, engagement: EngagementReport | None = None) -> list[list[str]]:
    """The report as CSV cells: machine-friendly, dot decimals, empty when undefined;
    each platform's engagement (its latest numbers summed) after its publishing figures."""
    numbers = by_platform(engagement) if engagement else {}
    total_numbers = engagement.total if engagement else None

    def cells(row: PlatformFigures) -> list[str]:
        rate, median = row.success_rate, row.median_seconds
        return [
            row.key,
            str(row.label),
            str(row.posts),
            str(row.published),
            str(row.failed),
            str(row.in_flight),
            "" if rate is None else f"{rate:.1f}",
            "" if median is None else f"{median:.1f}",
            *(str(row.failures[kind]) for kind in FAILURE_KINDS),
            *engagement_cells(total_numbers if row.key == TOTAL_KEY else numbers.get(row.key)),
        ]

    return [CSV_HEADER, *(cells(row) for row in report.rows), cells(report.total)]


def analytics_csv_view(request: HttpRequest) -> HttpResponse:
    _check_permission(request)
    form = _filter_form(request)
    if not form.is_valid():
        messages = [str(error) for errors in form.errors.values() for error in errors]
        return HttpResponse(
            "\n".join(messages) + "\n", status=400, content_type="text/plain; charset=utf-8"
        )
    start: date = form.cleaned_data["date_from"]
    end: date = form.cleaned_data["date_to"]
    report = analytics_report(date_from=start, date_to=end)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="publishing-analytics_{start.isoformat()}_{end.isoformat()}.csv"'
    )
    csv.writer(response, lineterminator="\n").writerows(csv_rows(report, report_for(start, end)))
    return response


def _dates_or_400(request: HttpRequest) -> tuple[date, date] | HttpResponse:
    form = _filter_form(request)
    if not form.is_valid():
        messages = [str(error) for errors in form.errors.values() for error in errors]
        return HttpResponse(
            "\n".join(messages) + "\n", status=400, content_type="text/plain; charset=utf-8"
        )
    return form.cleaned_data["date_from"], form.cleaned_data["date_to"]


def analytics_posts_csv_view(request: HttpRequest) -> HttpResponse:
    """``/admin/analytics-posts.csv``: each read post of the range with its latest numbers."""
    _check_permission(request)
    dates = _dates_or_400(request)
    if isinstance(dates, HttpResponse):
        return dates
    return posts_csv_response(*dates)
