"""Draw docs/benchmarks-*.svg from docs/benchmarks.json (no plotting library needed).

.venv/bin/python bench/plot.py
"""

from __future__ import annotations

import json
import math
import sys
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import RESULTS_JSON, ROOT

COLOURS = {"unpublished": "#7f8c8d", "published_async": "#27ae60", "published_sync": "#c0392b"}
LABELS = {
    "unpublished": "unpublished save",
    "published_async": "published, async (product)",
    "published_sync": "published, sync (seed design)",
}


def _bar_chart_log(groups: list[tuple[str, dict[str, float]]], *, title: str, unit: str) -> str:
    """Grouped bars on a log10 axis: groups of {series: value}."""
    width, height, left, bottom, top = 720, 360, 70, 50, 40
    plot_h = height - bottom - top
    values = [v for _, series in groups for v in series.values() if v > 0]
    low = 10 ** math.floor(math.log10(min(values)))
    high = 10 ** math.ceil(math.log10(max(values)))

    def y(value: float) -> float:
        share = (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low))
        return top + plot_h * (1 - share)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
    ]
    tick = low
    while tick <= high:
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g} {unit}</text>'
        )
        tick *= 10
    group_w = (width - left - 10) / len(groups)
    series_names = list(groups[0][1])
    bar_w = group_w * 0.7 / len(series_names)
    for index, (label, series) in enumerate(groups):
        x0 = left + index * group_w + group_w * 0.15
        for position, name in enumerate(series_names):
            value = series[name]
            x = x0 + position * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar_w - 2:.1f}" '
                f'height="{top + plot_h - y(value):.1f}" fill="{COLOURS.get(name, "#2980b9")}"/>'
                f'<text x="{x + bar_w / 2:.1f}" y="{y(value) - 4:.1f}" text-anchor="middle" '
                f'font-size="10">{value:g}</text>'
            )
        parts.append(
            f'<text x="{x0 + group_w * 0.35:.1f}" y="{height - bottom + 18}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for position, name in enumerate(series_names):
        x = left + 10 + position * 220
        parts.append(
            f'<rect x="{x}" y="{height - 20}" width="12" height="12" '
            f'fill="{COLOURS.get(name, "#2980b9")}"/>'
            f'<text x="{x + 16}" y="{height - 10}">{escape(LABELS.get(name, name))}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    data = json.loads(RESULTS_JSON.read_text())
    save = data.get("save_latency")
    if save:
        groups = [
            (
                f"platforms answer in {row['latency_ms']} ms",
                {name: row[name]["median_ms"] for name in COLOURS},
            )
            for row in save["results"]
        ]
        svg = _bar_chart_log(groups, title="Admin save, median (log scale)", unit="ms")
        target = ROOT / "docs" / "benchmarks-save-latency.svg"
        target.write_text(svg)
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
