"""``python manage.py render_task_media TASK_ID [--spec KIND[:WxH[:FORMAT]]] …``"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quiz_media.services import render
from quiz_media.specs import DEFAULT_SPECS, MEDIA_KINDS, MediaKind, MediaRenderError, MediaSpec
from tasks.models import Task

_SPEC = re.compile(r"^(?P<kind>[a-z_]+)(?::(?P<w>\d+)x(?P<h>\d+))?(?::(?P<format>png|jpeg|mp4))?$")


def parse_spec(text: str) -> MediaSpec:
    """``video``, ``question_card:1080x1080``, ``answer_card:1000x1500:jpeg`` → a MediaSpec
    (the renderer's defaults for what is not given)."""
    match = _SPEC.match(text.strip())
    if not match or match["kind"] not in MEDIA_KINDS:
        raise CommandError(
            f"--spec {text!r}: use KIND[:WIDTHxHEIGHT[:FORMAT]] with KIND one of "
            f"{', '.join(MEDIA_KINDS)}, e.g. video:720x1280 or answer_card:1080x1080:jpeg."
        )
    spec = DEFAULT_SPECS[cast(MediaKind, match["kind"])]
    if match["w"]:
        spec = replace(spec, width=int(match["w"]), height=int(match["h"]))
    if match["format"]:
        spec = replace(spec, format=match["format"])  # type: ignore[arg-type]  # _SPEC allows png|jpeg|mp4 only
    return spec


class Command(BaseCommand):
    help = (
        "Render (or reuse) a task's media — question card, answer card and video at the "
        "renderer's default sizes, or the given --spec values — and print where each file is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task_id", type=int, help="The task's id.")
        parser.add_argument(
            "--spec",
            action="append",
            default=[],
            metavar="KIND[:WxH[:FORMAT]]",
            help=(
                "What to render (repeatable), e.g. video:720x1280 or answer_card:1080x1080:jpeg."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        task_id = options["task_id"]
        specs = [parse_spec(text) for text in options["spec"]] or list(DEFAULT_SPECS.values())
        task = Task.objects.filter(pk=task_id).first()
        if task is None:
            raise CommandError(f"There is no task with id {task_id}.")
        failed = 0
        for spec in specs:
            started = time.perf_counter()
            try:
                media = render(task, spec)
            except MediaRenderError as exc:
                failed += 1
                self.stderr.write(f"{spec.kind}: failed: {exc}")
                continue
            elapsed = time.perf_counter() - started
            duration = f", {media.duration:.1f} s" if media.duration is not None else ""
            self.stdout.write(
                f"{media.kind}: {media.url}\n"
                f"    {media.width}×{media.height}, {media.mime_type}, {media.bytes:,} bytes"
                f"{duration}; storage name {media.name}; {elapsed:.2f} s"
            )
        if failed:
            raise CommandError(f"{failed} of {len(specs)} media could not be rendered.")
