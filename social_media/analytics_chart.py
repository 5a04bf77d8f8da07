"""The analytics chart: horizontal stacked bars as inline SVG, no script and no CDN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from social_media.analytics import PlatformFigures

WIDTH = 640
LABEL_WIDTH = 150
BAR_WIDTH = 400
ROW_HEIGHT = 30
BAR_HEIGHT = 20
LEGEND_HEIGHT = 30

# (attribute of PlatformFigures, colour); labels are translated at render time.
SEGMENTS = (
    ("published", "#2e7d32"),
    ("failed", "#c62828"),
    ("in_flight", "#9e9e9e"),
)


def _segment_labels() -> dict[str, str]:
    return {"published": _("Published"), "failed": _("Failed"), "in_flight": _("In flight")}


def render_chart_svg(rows: Sequence[PlatformFigures]) -> SafeString:
    """One bar group per platform: published, failed and in-flight posts stacked."""
    labels = _segment_labels()
    height = LEGEND_HEIGHT + ROW_HEIGHT * len(rows) + 10
    scale = max((row.posts for row in rows), default=0) or 1

    legend = format_html_join(
        "",
        '<g class="legend-item"><rect x="{}" y="6" width="14" height="14" fill="{}"></rect>'
        '<text x="{}" y="18" font-size="13" fill="currentColor">{}</text></g>',
        (
            (LABEL_WIDTH + i * 130, colour, LABEL_WIDTH + i * 130 + 20, labels[name])
            for i, (name, colour) in enumerate(SEGMENTS)
        ),
    )
    groups = format_html_join(
        "", "{}", ((_bar_group(row, index, scale, labels),) for index, row in enumerate(rows))
    )
    return format_html(
        '<svg class="analytics-chart" role="img" aria-labelledby="analytics-chart-title" '
        'width="{}" height="{}" viewBox="0 0 {} {}">'
        '<title id="analytics-chart-title">{}</title>'
        '<g class="legend">{}</g>{}</svg>',
        WIDTH,
        height,
        WIDTH,
        height,
        _("Posts per platform by outcome"),
        legend,
        groups,
    )


def _bar_group(row: PlatformFigures, index: int, scale: int, labels: dict[str, str]) -> SafeString:
    y = LEGEND_HEIGHT + index * ROW_HEIGHT
    x = LABEL_WIDTH
    rects = []
    parts = []
    for name, colour in SEGMENTS:
        count = getattr(row, name)
        parts.append(f"{labels[name]}: {count}")
        if not count:
            continue
        width = round(BAR_WIDTH * count / scale, 2)
        rects.append(
            format_html(
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                "<title>{}: {}</title></rect>",
                name,
                x,
                y,
                width,
                BAR_HEIGHT,
                colour,
                labels[name],
                count,
            )
        )
        x = round(x + width, 2)
    return format_html(
        '<g class="bar-group" data-platform="{}"><title>{} — {}</title>'
        '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="currentColor">{}</text>'
        '{}<text x="{}" y="{}" font-size="12" fill="currentColor">{}</text></g>',
        row.key,
        row.label,
        ", ".join(parts),
        LABEL_WIDTH - 8,
        y + 15,
        row.label,
        format_html_join("", "{}", ((rect,) for rect in rects)),
        x + 6,
        y + 15,
        row.posts,
    )


# One colour per platform, in registry order (then grey for anything else).
PLATFORM_COLOURS = ("#e60023", "#1877f2", "#6d4c41", "#c13584", "#111111", "#ff0000", "#0088cc")
DAY_CHART_HEIGHT = 180


def render_engagement_chart_svg(
    days: Sequence[date], daily: Mapping[str, Sequence[int]], labels: Mapping[str, str]
) -> SafeString:
    """Interactions gained per day, one stacked bar per day, one colour per platform."""
    keys = list(daily)
    colours = {key: PLATFORM_COLOURS[i % len(PLATFORM_COLOURS)] for i, key in enumerate(keys)}
    totals = [sum(daily[key][index] for key in keys) for index in range(len(days))]
    scale = max(totals, default=0) or 1
    plot_width = WIDTH - LABEL_WIDTH // 2
    step = plot_width / max(len(days), 1)
    bar = max(step * 0.8, 1.0)
    rows = max((len(keys) + 3) // 4, 1)  # four legend entries a row
    top = LEGEND_HEIGHT + 20 * (rows - 1)
    bottom = top + DAY_CHART_HEIGHT
    legend = format_html_join(
        "",
        '<g class="legend-item" data-platform="{}"><rect x="{}" y="{}" width="14" height="14" '
        'fill="{}"></rect><text x="{}" y="{}" font-size="13" fill="currentColor">{}</text></g>',
        (
            (
                key,
                10 + (i % 4) * 150,
                6 + (i // 4) * 20,
                colours[key],
                30 + (i % 4) * 150,
                18 + (i // 4) * 20,
                labels.get(key, key),
            )
            for i, key in enumerate(keys)
        ),
    )
    bars = []
    for index, day in enumerate(days):
        x = round(40 + index * step, 2)
        y = float(bottom)
        for key in keys:
            value = daily[key][index]
            if not value:
                continue
            height = round(DAY_CHART_HEIGHT * value / scale, 2)
            y = round(y - height, 2)
            bars.append(
                format_html(
                    '<rect class="day-bar" data-platform="{}" data-day="{}" x="{}" y="{}" '
                    'width="{}" height="{}" fill="{}"><title>{} {}: {}</title></rect>',
                    key,
                    day.isoformat(),
                    x,
                    y,
                    round(bar, 2),
                    height,
                    colours[key],
                    formats.date_format(day, "SHORT_DATE_FORMAT"),
                    labels.get(key, key),
                    value,
                )
            )
    axis = format_html(
        '<line x1="38" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-width="1"></line>'
        '<text x="34" y="{}" text-anchor="end" font-size="11" fill="currentColor">{}</text>'
        '<text x="34" y="{}" text-anchor="end" font-size="11" fill="currentColor">0</text>',
        bottom,
        WIDTH,
        bottom,
        top + 10,
        scale,
        bottom,
    )
    dates = ""
    if days:
        dates = format_html(
            '<text x="40" y="{}" font-size="11" fill="currentColor">{}</text>'
            '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="currentColor">{}</text>',
            bottom + 14,
            formats.date_format(days[0], "SHORT_DATE_FORMAT"),
            WIDTH,
            bottom + 14,
            formats.date_format(days[-1], "SHORT_DATE_FORMAT"),
        )
    height = bottom + 20
    return format_html(
        '<svg class="analytics-chart engagement-chart" role="img" '
        'aria-labelledby="engagement-chart-title" width="{}" height="{}" viewBox="0 0 {} {}">'
        '<title id="engagement-chart-title">{}</title><g class="legend">{}</g>{}{}{}</svg>',
        WIDTH,
        height,
        WIDTH,
        height,
        _("Interactions gained per day, by platform"),
        legend,
        axis,
        format_html_join("", "{}", ((b,) for b in bars)),
        dates,
    )
