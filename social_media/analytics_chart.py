"""The analytics chart: horizontal stacked bars as inline SVG, no script and no CDN."""

from __future__ import annotations

from collections.abc import Sequence

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
