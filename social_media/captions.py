"""Staff's caption templates: loading them, checking them on save, previewing them.

``build_content`` (``social_media.content``) renders; this module finds which
templates apply (``CaptionBook``, one query), refuses a template that fails on
sample tasks before it is saved (``template_errors``) and powers the admin's live
preview (``caption_preview``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext

from social_media.caption_sandbox import CaptionError, normalize_source, render_caption
from social_media.content import (
    CAPTION_FIELDS,
    DEFAULT_LIMITS,
    LIMITS,
    Captions,
    PostContent,
    build_content,
    caption_context,
    caption_language,
    fit_description,
)

if TYPE_CHECKING:
    from tasks.models import Task


@dataclass
class CaptionBook:
    """The active caption templates, keyed by (platform, language)."""

    templates: dict[tuple[str, str], Captions] = field(default_factory=dict)

    @classmethod
    def load(cls, *, platform: str | None = None, language: str | None = None) -> CaptionBook:
        """One query; ``platform``/``language`` narrow it to what one post needs."""
        from social_media.models import CaptionTemplate

        rows = CaptionTemplate.objects.filter(is_active=True)
        if platform is not None:
            rows = rows.filter(platform=platform)
        if language is not None:
            rows = rows.filter(language=caption_language(language))
        return cls(
            {
                (row.platform, row.language): Captions(
                    title=row.title,
                    description=row.description,
                    label=f"caption template #{row.pk}",
                )
                for row in rows.only("pk", "platform", "language", "title", "description")
            }
        )

    def for_task(self, task: Task, platform_key: str) -> Captions | None:
        return self.templates.get((platform_key, caption_language(task.language)))


def content_for(task: Task, platform_key: str, book: CaptionBook | None = None) -> PostContent:
    """What a sender sends: the task's texts with the staff's templates, if any."""
    return build_content(task, platform_key, captions_for(task, platform_key, book))


def captions_for(task: Task, platform_key: str, book: CaptionBook | None = None) -> Captions | None:
    if book is None:
        book = _preloaded_book.get()
    if book is None:
        book = CaptionBook.load(platform=platform_key, language=task.language)
    return book.for_task(task, platform_key)


_preloaded_book: ContextVar[CaptionBook | None] = ContextVar("preloaded_captions", default=None)


@contextmanager
def captions_preloaded(book: CaptionBook | None) -> Iterator[CaptionBook | None]:
    """Inside, ``captions_for`` uses ``book`` (all active templates) instead of a query."""
    token = _preloaded_book.set(book)
    try:
        yield book
    finally:
        _preloaded_book.reset(token)


# --- checking on save ----------------------------------------------------------------

_SAMPLES: dict[str, list[dict[str, Any]]] = {
    "ru": [
        {
            "question": "Что выведет код?\nprint(len('абв') * 2)",
            "answers": ["3", "6", "абвабв", "Ошибка"],
            "correct_answer": "6",
            "explanation": "len('абв') равно 3, а 3 * 2 = 6.",
            "topic": "Python",
            "difficulty": "easy",
        },
        {"question": "Сколько бит в байте?", "answers": [], "correct_answer": "", "topic": ""},
    ],
    "en": [
        {
            "question": "What does this print?\nprint(len('abc') * 2)",
            "answers": ["3", "6", "abcabc", "Error"],
            "correct_answer": "6",
            "explanation": "len('abc') is 3 and 3 * 2 = 6.",
            "topic": "Python",
            "difficulty": "easy",
        },
        {"question": "How many bits are in a byte?", "answers": [], "correct_answer": ""},
    ],
}


def sample_tasks(language: str) -> list[Task]:
    """Unsaved tasks in ``language`` (one full, one bare) to try templates on."""
    from tasks.models import Task

    samples = _SAMPLES.get(caption_language(language), _SAMPLES["en"])
    return [Task(pk=123, language=language or "en", **values) for values in samples]


def _field_error(platform: str, field_name: str, source: str, task: Task) -> str | None:
    values = caption_context(task, platform)
    try:
        text = render_caption(source, values)
    except CaptionError as error:
        return str(error)
    limits = LIMITS.get(platform, DEFAULT_LIMITS)
    needs_link = field_name == "description" and limits.link_in_description
    if (
        needs_link
        and values["link"] not in fit_description(text, values["link"], limits.description)[0]
    ):
        return gettext(
            "This platform's posts are found again by the task link: "
            "the description must contain {{ link }}."
        )
    return None


def template_errors(platform: str, language: str, sources: dict[str, str]) -> dict[str, str]:
    """Field → message for each template that fails on a sample task (empty: all good)."""
    errors: dict[str, str] = {}
    for field_name in CAPTION_FIELDS:
        source = normalize_source(sources.get(field_name) or "")
        if not source:
            continue
        for task in sample_tasks(language):
            message = _field_error(platform, field_name, source, task)
            if message:
                errors[field_name] = gettext("This template cannot be used: %(error)s") % {
                    "error": message
                }
                break
    return errors


# --- the admin's live preview --------------------------------------------------------


def caption_preview(
    platform: str, language: str, sources: dict[str, str], task: Task | None = None
) -> dict[str, Any]:
    """What ``sources`` would send for ``task`` (a sample task when ``None``), as JSON data.

    Each field has ``text``, ``length``, ``limit``, ``cut`` and a ``note`` when cut, or
    ``error`` when its template cannot be used. The texts come from ``build_content``,
    the function the senders use.
    """
    if task is None:
        task = sample_tasks(language)[0]
    limits = LIMITS.get(platform, DEFAULT_LIMITS)
    errors = {
        name: message
        for name in CAPTION_FIELDS
        if (source := normalize_source(sources.get(name) or ""))
        and (message := _field_error(platform, name, source, task))
    }
    captions = Captions(**{name: sources.get(name) or "" for name in CAPTION_FIELDS})
    content = build_content(task, platform, captions)
    notes = {
        "title": gettext("The title is cut to %(limit)d characters.") % {"limit": limits.title},
        "description": (
            gettext(
                "The description is cut to fit %(limit)d characters "
                "(the link and hashtags are kept)."
            )
            if content.link and content.link in content.description
            else gettext("The description is cut to %(limit)d characters.")
        )
        % {"limit": limits.description},
    }
    fields: dict[str, dict[str, Any]] = {}
    for name in CAPTION_FIELDS:
        if name in errors:
            fields[name] = {"error": errors[name]}
            continue
        text = str(getattr(content, name))
        cut = name in content.truncated
        fields[name] = {
            "text": text,
            "length": len(text),
            "limit": getattr(limits, name),
            "cut": cut,
            "note": notes[name] if cut else "",
        }
    return {"fields": fields}
