"""A sparkline: one number over time as a small inline SVG (no script, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

WIDTH = 120
HEIGHT = 28
PAD = 2


def render_sparkline_svg(
    points: Sequence[tuple[datetime, int]], *, label: str, colour: str = "#1565c0"
) -> SafeString:
    """``points`` (time, value), oldest first, as a polyline scaled to the box.

    One point draws a dot; none draws an empty, labelled box. The title says the range.
    """
    if not points:
        return format_html(
            '<svg class="sparkline" role="img" width="{}" height="{}" viewBox="0 0 {} {}">'
            "<title>{}</title></svg>",
            WIDTH,
            HEIGHT,
            WIDTH,
            HEIGHT,
            label,
        )
    first_at, last_at = points[0][0], points[-1][0]
    span = (last_at - first_at).total_seconds() or 1.0
    values = [value for _when, value in points]
    low, high = min(values), max(values)
    rise = (high - low) or 1
    coords = []
    for when, value in points:
        x = PAD + (WIDTH - 2 * PAD) * ((when - first_at).total_seconds() / span)
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * ((value - low) / rise)
        coords.append(f"{x:.1f},{y:.1f}")
    if len(points) == 1:
        coords = [f"{WIDTH / 2:.1f},{HEIGHT / 2:.1f}"]
    last_x, last_y = coords[-1].split(",")
    title = f"{label}: {values[0]} → {values[-1]} ({_when(first_at)} – {_when(last_at)})"
    return format_html(
        '<svg class="sparkline" role="img" width="{}" height="{}" viewBox="0 0 {} {}">'
        "<title>{}</title>"
        '<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"></polyline>'
        '<circle cx="{}" cy="{}" r="2" fill="{}"></circle></svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        title,
        colour,
        " ".join(coords),
        last_x,
        last_y,
        colour,
    )


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
