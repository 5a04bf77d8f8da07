"""What a task looks like on each platform: texts, hashtags and their limits.

One registry (``LIMITS``) used by every sender and by the admin preview, so the
text we show is the text we send. Lengths are counted in characters (code
points), so Cyrillic counts the same as Latin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tasks.models import Task

ELLIPSIS = "…"


@dataclass(frozen=True)
class TextLimits:
    title: int
    description: int
    alt_text: int = 500
    max_hashtags: int = 30


# Sources: Pinterest v5 PinCreate schema (title 100, description 800, alt_text 500);
# Facebook post messages accept 63,206 characters; Instagram captions 2,200 and 30
# hashtags; TikTok captions 2,200; YouTube titles 100 and descriptions 5,000.
LIMITS: dict[str, TextLimits] = {
    "pinterest": TextLimits(title=100, description=800, alt_text=500, max_hashtags=10),
    "facebook": TextLimits(title=255, description=63206),
    "instagram": TextLimits(title=255, description=2200, max_hashtags=30),
    "tiktok": TextLimits(title=150, description=2200, max_hashtags=20),
    "youtube_shorts": TextLimits(title=100, description=5000, max_hashtags=15),
    "yandex_dzen": TextLimits(title=140, description=10000),
}
DEFAULT_LIMITS = TextLimits(title=100, description=2000)

_PHRASES = {
    "ru": {
        "title": "Квиз по теме «{topic}»: {question}",
        "title_no_topic": "Квиз: {question}",
        "options": "Варианты",
        "answer_at": "Ответ и объяснение",
        "hashtags": ["#программирование", "#квиз", "#викторина"],
    },
    "en": {
        "title": "{topic} Quiz: {question}",
        "title_no_topic": "Quiz: {question}",
        "options": "Options",
        "answer_at": "Answer and explanation",
        "hashtags": ["#programming", "#coding", "#quiz"],
    },
}


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, ending in an ellipsis when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def _phrases(language: str) -> dict:
    return _PHRASES.get(language.split("-")[0], _PHRASES["en"])


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
class PostContent:
    """The texts of one task prepared for one platform."""

    title: str
    description: str
    alt_text: str
    link: str
    hashtags: list[str] = field(default_factory=list)
    image_url: str = ""
    truncated: list[str] = field(default_factory=list)


def build_content(task: Task, platform_key: str) -> PostContent:
    """Compose title, description, alt text and hashtags inside the platform's limits."""
    limits = LIMITS.get(platform_key, DEFAULT_LIMITS)
    phrases = _phrases(task.language)
    question = first_line(task.question)
    template = phrases["title"] if task.topic else phrases["title_no_topic"]
    full_title = template.format(topic=task.topic, question=question)
    tags = hashtags_for(task, limits.max_hashtags)
    options = "\n".join(
        f"{chr(ord('A') + i)}) {answer}" for i, answer in enumerate(_answer_list(task.answers))
    )
    body = task.question.strip()
    if options:
        body += f"\n\n{phrases['options']}:\n{options}"
    link = task.public_url
    tail = f"\n\n{phrases['answer_at']}: {link}"
    if tags:
        tail += "\n\n" + " ".join(tags)
    # The link and hashtags always survive; the question and options are cut first.
    room = limits.description - len(tail)
    truncated = []
    if room < 20:
        tail, room = "", limits.description
    description = truncate(body, room) + tail
    if len(body) > room:
        truncated.append("description")
    title = truncate(full_title, limits.title)
    if title != full_title.strip():
        truncated.append("title")
    alt_text = truncate(task.question, limits.alt_text)
    return PostContent(
        title=title,
        description=description,
        alt_text=alt_text,
        link=link,
        hashtags=tags,
        image_url=task.image_url,
        truncated=truncated,
    )
