"""The channel messages of one task: the card's caption, the quiz poll, the answer.

Texts go out with ``parse_mode=HTML`` and every piece of user text escaped
(``&``, ``<``, ``>``), so a question holding ``<b>`` or ``&`` is shown as written
and can never break the markup. Lengths are counted as Telegram counts them: in
UTF-16 code units of the text after entity parsing (docs/platform-api-facts-native.md
§4.2-4.3), so "😀" counts 2 and "ж" 1.

The poll is sent when the task fits it as written (question ≤ 300, 2 to 10 or 12
options ≤ 100 each, explanation ≤ 200 with at most 2 line feeds, the correct answer
among the options); otherwise the caption lists the options lettered A), B), …
and a follow-up message reveals the answer under a spoiler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

from django.utils import translation
from django.utils.translation import gettext

from social_media.content import caption_language, hashtags_for
from social_media.platforms.telegram import conf

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
QUESTION_LIMIT = 300
OPTION_LIMIT = 100
EXPLANATION_LIMIT = 200
EXPLANATION_LINE_FEEDS = 2
ELLIPSIS = "…"
# The question keeps at least this much of the caption when the options are long.
MIN_QUESTION_ROOM = 120

Form = Literal["poll", "lettered"]


def utf16_len(text: str) -> int:
    """Telegram's length: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-16 units, ending in "…" when cut."""
    text = text.strip()
    if utf16_len(text) <= limit:
        return text
    room, used, kept = max(limit - 1, 0), 0, []
    for char in text:
        used += utf16_len(char)
        if used > room:
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS


def html(text: str) -> str:
    """User text made safe for ``parse_mode=HTML``."""
    return escape(text, quote=False)


def version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(version).strip().split("."))
    except ValueError:
        return (0,)


@dataclass(frozen=True)
class PollForm:
    """What the Bot API server takes (chosen by its version, see conf.py)."""

    version: str

    @property
    def option_objects(self) -> bool:
        return version_tuple(self.version) >= (7, 3)

    @property
    def max_options(self) -> int:
        return 12 if version_tuple(self.version) >= (9, 1) else 10

    @property
    def correct_ids(self) -> bool:
        return version_tuple(self.version) >= (9, 6)

    @property
    def name(self) -> str:
        return "correct_option_ids" if self.correct_ids else "correct_option_id"


@dataclass(frozen=True)
class Parts:
    """Plain text in pieces, each with how it is marked up; the plain text is what counts."""

    pieces: list[tuple[str, str]] = field(default_factory=list)  # (plain, tag or "")

    def add(self, text: str, tag: str = "") -> Parts:
        return Parts([*self.pieces, (text, tag)])

    @property
    def plain(self) -> str:
        return "".join(text for text, _tag in self.pieces)

    @property
    def markup(self) -> str:
        return "".join(f"<{t}>{html(p)}</{t}>" if t else html(p) for p, t in self.pieces)


@dataclass(frozen=True)
class QuizMessages:
    form: Form
    caption: str  # HTML for sendPhoto
    poll: dict[str, Any] | None  # sendPoll parameters without chat_id
    answer: str  # HTML of the spoiler message (lettered form), else ""
    reasons: list[str]  # why the poll form was not used (English)
    caption_cut: bool = False


def _answers(task: Any) -> list[str]:
    answers = task.answers if isinstance(task.answers, list) else []
    return [str(answer) for answer in answers]


def poll_problems(task: Any, form: PollForm) -> list[str]:
    """Why this task cannot be a native quiz poll (empty: it can)."""
    question = str(task.question or "").strip()
    answers = _answers(task)
    explanation = str(task.explanation or "").strip()
    problems = []
    if not question:
        problems.append("the question is empty")
    elif utf16_len(question) > QUESTION_LIMIT:
        problems.append(f"the question is longer than {QUESTION_LIMIT} characters")
    if not 2 <= len(answers) <= form.max_options:
        problems.append(f"a quiz poll takes 2 to {form.max_options} options")
    if any(not answer.strip() for answer in answers):
        problems.append("an option is empty")
    if any(utf16_len(answer) > OPTION_LIMIT for answer in answers):
        problems.append(f"an option is longer than {OPTION_LIMIT} characters")
    if str(task.correct_answer or "") not in answers:
        problems.append("the correct answer is not one of the options")
    if utf16_len(explanation) > EXPLANATION_LIMIT:
        problems.append(f"the explanation is longer than {EXPLANATION_LIMIT} characters")
    if explanation.count("\n") > EXPLANATION_LINE_FEEDS:
        problems.append(f"the explanation has more than {EXPLANATION_LINE_FEEDS} line breaks")
    return problems


def poll_params(task: Any, form: PollForm) -> dict[str, Any]:
    """``sendPoll`` parameters of a task that fits (plain text: no parse mode needed)."""
    answers = _answers(task)
    correct = answers.index(str(task.correct_answer))
    options: list[Any] = [{"text": a} for a in answers] if form.option_objects else answers
    params: dict[str, Any] = {
        "question": str(task.question).strip(),
        "options": options,
        "type": "quiz",
        "is_anonymous": True,
    }
    if form.correct_ids:
        params["correct_option_ids"] = [correct]
    else:
        params["correct_option_id"] = correct
    explanation = str(task.explanation or "").strip()
    if explanation:
        params["explanation"] = explanation
    return params


def _letter(index: int) -> str:
    return chr(ord("A") + index)


def _caption(task: Any, lettered: list[str], tail: Parts) -> tuple[Parts, bool]:
    """Question (bold, cut to the room left), the lettered options, link and hashtags."""
    options_text = ""
    cap = OPTION_LIMIT
    while True:
        lines = [f"{_letter(i)}) {cut(answer, cap)}" for i, answer in enumerate(lettered)]
        options_text = "\n".join(lines)
        fixed = utf16_len(tail.plain) + (utf16_len(options_text) + 2 if lines else 0)
        if CAPTION_LIMIT - fixed >= MIN_QUESTION_ROOM or cap <= 10:
            break
        cap -= 10
    question = str(task.question or "").strip()
    room = CAPTION_LIMIT - fixed
    shown = cut(question, max(room, 1))
    parts = Parts().add(shown, "b")
    if options_text:
        parts = parts.add("\n\n" + options_text)
    for text, tag in tail.pieces:
        parts = parts.add(text, tag)
    return parts, shown != question or any(cut(a, cap) != a.strip() for a in lettered)


def build(task: Any, form: PollForm) -> QuizMessages:
    """The task's messages: card caption and poll, or lettered caption and answer."""
    reasons = poll_problems(task, form)
    language = caption_language(str(task.language or ""))
    tags = hashtags_for(task, conf.TEXT_LIMITS.max_hashtags)
    tail = Parts().add("\n\n" + task.public_url)
    if tags:
        tail = tail.add("\n\n" + " ".join(tags))
    if not reasons:
        caption, caption_cut = _caption(task, [], tail)
        return QuizMessages("poll", caption.markup, poll_params(task, form), "", [], caption_cut)
    answers = _answers(task)
    caption, caption_cut = _caption(task, answers, tail)
    return QuizMessages(
        "lettered", caption.markup, None, answer_text(task, language), reasons, caption_cut
    )


def answer_text(task: Any, language: str) -> str:
    """HTML: "Answer: ||B) 4 — explanation||" within the 4096 limit of a text message."""
    answers = _answers(task)
    correct = str(task.correct_answer or "")
    shown = f"{_letter(answers.index(correct))}) {correct}" if correct in answers else correct
    with translation.override(language):
        label = gettext("Answer")
    explanation = str(task.explanation or "").strip()
    head = f"{label}: "
    secret = shown.strip()
    if explanation:
        room = TEXT_LIMIT - utf16_len(head) - utf16_len(secret) - 2
        secret = f"{secret}\n\n{cut(explanation, max(room, 1))}"
    return Parts().add(head).add(cut(secret, TEXT_LIMIT - utf16_len(head)), "tg-spoiler").markup
