"""``manage.py collect_metrics``: one engagement collection pass now (what beat runs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from social_media.metrics_collect import PASS_LIMIT, metric_platforms, metrics_collect


class Command(BaseCommand):
    help = (
        "Read the numbers of the published posts that are due (the periodic job's pass) "
        "and print how many posts were read per platform."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit",
            type=int,
            default=PASS_LIMIT,
            help="At most this many posts in this pass (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        read = metrics_collect(limit=max(1, options["limit"]))
        for key, platform in metric_platforms().items():
            self.stdout.write(f"{platform.label}: {read.get(key, 0)}")
        self.stdout.write(self.style.SUCCESS(f"Posts read: {sum(read.values())}"))
