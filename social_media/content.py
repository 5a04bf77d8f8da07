"""What a task looks like on each platform: texts, hashtags and their limits.

One table of limits (``LIMITS``, each platform's ``conf.TEXT_LIMITS``) used by every
sender and by the admin preview, so the text we show is the text we send. Lengths are
counted in characters (code points), so Cyrillic counts the same as Latin.

The title and the description are rendered from caption templates (sandboxed
Django templates, see ``caption_sandbox``): the built-in ``DEFAULT_TEMPLATES``
below, or the staff's own ones (``social_media.captions``), passed in as
``Captions``. The platform's limits are applied after rendering.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from social_media.caption_sandbox import CaptionError, render_caption
from social_media.platforms.spec import DEFAULT_LIMITS, TextLimits, text_limits
from tasks.models import Difficulty

if TYPE_CHECKING:
    from tasks.models import Task

logger = logging.getLogger(__name__)

ELLIPSIS = "…"
CAPTION_FIELDS = ("title", "description")


# Each platform declares its limits in social_media/platforms/<key>/conf.py.
LIMITS: dict[str, TextLimits] = text_limits()

_PHRASES = {
    "ru": {"hashtags": ["#программирование", "#квиз", "#викторина"]},
    "en": {"hashtags": ["#programming", "#coding", "#quiz"]},
}

# The built-in texts, the same for every platform. When a description is too long,
# the paragraph holding the link and everything after it are kept (see fit_description).
DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "ru": {
        "title": (
            "{% if topic %}Квиз по теме «{{ topic }}»: {{ question_first_line }}"
            "{% else %}Квиз: {{ question_first_line }}{% endif %}"
        ),
        "description": (
            "{{ question }}{% if options %}\n\nВарианты:\n{{ options }}{% endif %}\n\n"
            "Ответ и объяснение: {{ link }}{% if hashtags %}\n\n{{ hashtags_text }}{% endif %}"
        ),
    },
    "en": {
        "title": (
            "{% if topic %}{{ topic }} Quiz: {{ question_first_line }}"
            "{% else %}Quiz: {{ question_first_line }}{% endif %}"
        ),
        "description": (
            "{{ question }}{% if options %}\n\nOptions:\n{{ options }}{% endif %}\n\n"
            "Answer and explanation: {{ link }}{% if hashtags %}\n\n{{ hashtags_text }}{% endif %}"
        ),
    },
}

# What a caption template can use, for the admin's help text.
CAPTION_VARIABLES = (
    "question",
    "question_first_line",
    "answers",
    "answers_lettered",
    "options",
    "correct_answer",
    "explanation",
    "topic",
    "difficulty",
    "difficulty_code",
    "language",
    "link",
    "hashtags",
    "hashtags_text",
    "site_url",
)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, ending in an ellipsis when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def _phrases(language: str) -> dict:
    return _PHRASES.get(language.split("-")[0], _PHRASES["en"])


def caption_language(language: str) -> str:
    """The configured language whose templates serve a task language ("ru-ru" → "ru").

    Another language is served by English, as the built-in texts are.
    """
    codes = [code for code, _name in settings.LANGUAGES]
    base = (language or "").split("-")[0].lower()
    if base in codes:
        return base
    return "en" if "en" in codes else settings.LANGUAGE_CODE.split("-")[0]


def default_template(language: str, field_name: str) -> str:
    """The built-in template of ``field_name`` ("title" or "description") for a language."""
    templates = DEFAULT_TEMPLATES.get(language.split("-")[0], DEFAULT_TEMPLATES["en"])
    return templates[field_name]


def hashtags_for(task: Task, limit: int = 30) -> list[str]:
    tags: list[str] = []
    topic_tag = re.sub(r"[^\w]+", "", task.topic or "", flags=re.UNICODE).lower()
    if topic_tag:
        tags.append(f"#{topic_tag}")
    for tag in _phrases(task.language)["hashtags"]:
        if tag not in tags:
            tags.append(tag)
    return tags[:limit]


def _answer_list(answers: object) -> list:
    """The answer options; a malformed value (the form shows its error) lists none."""
    return answers if isinstance(answers, list) else []


def first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


@dataclass(frozen=True)
class Captions:
    """Staff's caption templates for one platform and language; empty means the default."""

    title: str = ""
    description: str = ""
    label: str = ""  # names the templates in warnings, e.g. "caption template #3"

    def source(self, field_name: str) -> str:
        return str(getattr(self, field_name) or "")


@dataclass(frozen=True)
class PostContent:
    """The texts of one task prepared for one platform."""

    title: str
    description: str
    alt_text: str
    link: str
    hashtags: list[str] = field(default_factory=list)
    image_url: str = ""
    truncated: list[str] = field(default_factory=list)
    # Caption templates that could not be used (the default text went out instead).
    caption_fallbacks: list[str] = field(default_factory=list)


def _difficulty_label(task: Task, language: str) -> str:
    if task.difficulty not in Difficulty.values:
        return str(task.difficulty or "")
    return _difficulty_in(str(task.difficulty), language)


@functools.lru_cache(maxsize=64)
def _difficulty_in(difficulty: str, language: str) -> str:
    """The label in ``language`` (switching the translation costs more than the rest of
    a caption; the catalogues do not change while the process runs)."""
    from tasks.models import Difficulty

    with translation.override(language):
        return str(Difficulty(difficulty).label)


def caption_context(task: Task, platform_key: str) -> dict[str, Any]:
    """The values a caption template sees: plain strings, numbers and tuples only."""
    limits = LIMITS.get(platform_key, DEFAULT_LIMITS)
    tags = tuple(hashtags_for(task, limits.max_hashtags))
    answers = tuple(f"{answer}" for answer in _answer_list(task.answers))
    lettered = tuple(f"{chr(ord('A') + i)}) {answer}" for i, answer in enumerate(answers))
    return {
        "question": task.question.strip(),
        "question_first_line": first_line(task.question),
        "answers": answers,
        "answers_lettered": lettered,
        "options": "\n".join(lettered),
        "correct_answer": str(task.correct_answer or ""),
        "explanation": str(task.explanation or "").strip(),
        "topic": str(task.topic or ""),
        "difficulty": _difficulty_label(task, caption_language(task.language)),
        "difficulty_code": str(task.difficulty or ""),
        "language": str(task.language or ""),
        "link": task.public_url,
        "hashtags": tags,
        "hashtags_text": " ".join(tags),
        "site_url": str(settings.SITE_URL),
    }


def fit_title(text: str, limit: int) -> tuple[str, bool]:
    """A title is one line, cut to ``limit``; returns the text and whether it was cut."""
    line = re.sub(r"\s*\n\s*", " ", text).strip()
    title = truncate(line, limit)
    return title, title != line


def _split_at_link(text: str, link: str) -> tuple[str, str]:
    """The text before the paragraph holding the (last) link, and that paragraph onwards."""
    position = text.rfind(link) if link else -1
    start = text.rfind("\n\n", 0, position) if position >= 0 else -1
    if start < 0:
        return text, ""
    return text[:start], text[start:].rstrip()


def fit_description(text: str, link: str, limit: int) -> tuple[str, bool]:
    """Cut a description to ``limit``; returns the text and whether anything was cut.

    The link and what follows it (the hashtags) always survive: the paragraph
    holding the link and everything after it are kept and the text before it is
    cut. When that would leave under 20 characters, the text before the link is
    cut to the limit and the rest dropped. Without the link in its own paragraph,
    the whole text is cut.
    """
    body, tail = _split_at_link(text, link)
    if not tail:
        description = truncate(text, limit)
        return description, description != text.strip()
    room = limit - len(tail)
    if room < 20:
        return truncate(body, limit), True
    return truncate(body, room) + tail, len(body) > room


def _render_field(
    task: Task,
    platform_key: str,
    field_name: str,
    values: dict[str, Any],
    captions: Captions | None,
    fallbacks: list[str],
) -> str:
    default = default_template(task.language, field_name)
    source = captions.source(field_name) if captions else ""
    if source:
        try:
            text = render_caption(source, values)
        except CaptionError as error:
            reason = str(error)
        else:
            limits = LIMITS.get(platform_key, DEFAULT_LIMITS)
            if not (field_name == "description" and limits.link_in_description):
                return text
            if values["link"] in fit_description(text, values["link"], limits.description)[0]:
                return text
            reason = gettext("the text has no task link, which this platform needs")
        label = captions.label if captions else ""
        logger.warning(
            "The %s %s template for %s (%s) is not used, the default text is sent: %s",
            label or "caption",
            field_name,
            platform_key,
            task.language,
            reason,
        )
        fallbacks.append(f"{field_name}: {reason}")
    return render_caption(default, values)


def build_content(task: Task, platform_key: str, captions: Captions | None = None) -> PostContent:
    """Render title and description inside the platform's limits, with alt text and hashtags.

    ``captions`` are the staff's templates for this platform and language
    (``social_media.captions.captions_for``); ``None`` or an empty field means the
    built-in template. A template that fails here (it was checked when saved) is
    logged and replaced by the default, so publishing never fails because of it.
    """
    limits = LIMITS.get(platform_key, DEFAULT_LIMITS)
    values = caption_context(task, platform_key)
    fallbacks: list[str] = []
    rendered = {
        name: _render_field(task, platform_key, name, values, captions, fallbacks)
        for name in CAPTION_FIELDS
    }
    truncated = []
    title, title_cut = fit_title(rendered["title"], limits.title)
    description, description_cut = fit_description(
        rendered["description"], values["link"], limits.description
    )
    if description_cut:
        truncated.append("description")
    if title_cut:
        truncated.append("title")
    alt_text = truncate(task.question, limits.alt_text)
    return PostContent(
        title=title,
        description=description,
        alt_text=alt_text,
        link=values["link"],
        hashtags=list(values["hashtags"]),
        image_url=task.image_url,
        truncated=truncated,
        caption_fallbacks=fallbacks,
    )
