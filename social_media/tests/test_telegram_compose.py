"""Telegram's texts: the caption, the quiz poll and the answer, at Telegram's limits.

Lengths are checked the way the Bot API counts them: the emulator's parser
(TDLib's HTML rules) turns the markup into the plain text, measured in UTF-16 units.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from emulator.platforms.telegram_markup import parse, utf16_len
from social_media.platforms.telegram import compose
from social_media.platforms.telegram.compose import PollForm, build, cut
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

SITE = "https://quiz.example.com"
CURRENT = PollForm("10.1")
CYRILLIC = "ж"  # one UTF-16 unit, two UTF-8 bytes


def task(**fields):
    fields.setdefault("question", "Что выведет print(2 + 2)?")
    fields.setdefault("answers", ["3", "4", "22"])
    fields.setdefault("correct_answer", "4")
    fields.setdefault("explanation", "Сложение целых чисел.")
    fields.setdefault("topic", "Python")
    fields.setdefault("language", "ru")
    return TaskFactory(**fields)


def plain(markup: str) -> str:
    text, _entities = parse(markup, "HTML")
    return text


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def test_a_fitting_task_becomes_a_quiz_poll_in_the_current_form():
    messages = build(task(), CURRENT)

    assert messages.form == "poll"
    assert messages.reasons == []
    assert messages.poll == {
        "question": "Что выведет print(2 + 2)?",
        "options": [{"text": "3"}, {"text": "4"}, {"text": "22"}],
        "type": "quiz",
        "is_anonymous": True,
        "correct_option_ids": [1],
        "explanation": "Сложение целых чисел.",
    }
    caption = plain(messages.caption)
    assert caption.startswith("Что выведет print(2 + 2)?")
    assert f"{SITE}/task/" in caption
    assert "#python" in caption
    assert "A) 3" not in caption  # the poll carries the options
    assert messages.answer == ""


@pytest.mark.parametrize(
    ("version", "options", "correct"),
    [
        ("9.5", [{"text": "3"}, {"text": "4"}, {"text": "22"}], {"correct_option_id": 1}),
        ("7.0", ["3", "4", "22"], {"correct_option_id": 1}),
        ("9.6", [{"text": "3"}, {"text": "4"}, {"text": "22"}], {"correct_option_ids": [1]}),
    ],
)
def test_older_bot_api_servers_get_the_older_poll_form(version, options, correct):
    poll = build(task(), PollForm(version)).poll

    assert poll is not None
    assert poll["options"] == options
    assert {k: poll[k] for k in correct} == correct
    assert not ({"correct_option_id", "correct_option_ids"} - set(correct)) & set(poll)


@pytest.mark.parametrize(
    ("fields", "fits"),
    [
        ({"question": CYRILLIC * 300}, True),
        ({"question": CYRILLIC * 301}, False),
        ({"question": "😀" * 150}, True),  # 300 UTF-16 units
        ({"question": "😀" * 151}, False),
        ({"answers": [CYRILLIC * 100, "б"], "correct_answer": "б"}, True),
        ({"answers": [CYRILLIC * 101, "б"], "correct_answer": "б"}, False),
        ({"explanation": CYRILLIC * 200}, True),
        ({"explanation": CYRILLIC * 201}, False),
        ({"explanation": "а\nб\nв"}, True),
        ({"explanation": "а\nб\nв\nг"}, False),
        ({"answers": [f"в{i}" for i in range(12)], "correct_answer": "в3"}, True),
        ({"answers": [f"в{i}" for i in range(13)], "correct_answer": "в3"}, False),
        ({"correct_answer": "5"}, False),
        ({"answers": ["4", " "]}, False),
    ],
    ids=[
        "question-300",
        "question-301",
        "emoji-300-units",
        "emoji-302-units",
        "option-100",
        "option-101",
        "explanation-200",
        "explanation-201",
        "two-line-feeds",
        "three-line-feeds",
        "12-options",
        "13-options",
        "correct-not-an-option",
        "empty-option",
    ],
)
def test_cyrillic_text_at_every_poll_limit(fields, fits):
    messages = build(task(**fields), CURRENT)

    assert (messages.form == "poll") is fits
    assert bool(messages.reasons) is not fits


def test_eleven_options_do_not_fit_a_server_before_9_1():
    fields = {"answers": [f"в{i}" for i in range(11)], "correct_answer": "в3"}

    assert build(task(**fields), PollForm("9.0")).form == "lettered"
    assert build(task(**fields), PollForm("9.1")).form == "poll"


def test_a_task_that_does_not_fit_gets_lettered_options_and_a_spoiler_answer():
    messages = build(task(explanation=CYRILLIC * 201), CURRENT)

    assert messages.form == "lettered"
    assert messages.poll is None
    assert messages.reasons == ["the explanation is longer than 200 characters"]
    caption = plain(messages.caption)
    assert "A) 3\nB) 4\nC) 22" in caption
    text, entities = parse(messages.answer, "HTML")
    assert text.startswith("Ответ: B) 4")
    assert CYRILLIC * 200 in text
    assert [e["type"] for e in entities] == ["spoiler"]
    assert entities[0]["offset"] == utf16_len("Ответ: ")
    assert entities[0]["offset"] + entities[0]["length"] == utf16_len(text)


def test_the_answer_label_follows_the_task_language():
    messages = build(task(language="en", correct_answer="5"), CURRENT)

    assert plain(messages.answer).startswith("Answer: 5")


@pytest.mark.parametrize("filler", [CYRILLIC, "😀", "&", "<"])
def test_the_caption_stays_within_1024_units_and_keeps_link_and_hashtags(filler):
    answers = [filler * 100 + str(i) for i in range(12)]
    long_task = task(question=filler * 3000, answers=answers, correct_answer=answers[0])

    messages = build(long_task, CURRENT)

    caption = plain(messages.caption)
    assert utf16_len(caption) <= 1024
    assert caption.rstrip().endswith("#python #программирование #квиз #викторина")
    assert f"{SITE}/task/{long_task.pk}" in caption
    assert "L) " in caption  # every option is there, shortened
    assert messages.caption_cut is True


def test_a_caption_exactly_at_the_limit_is_not_cut():
    # A question too long for a poll: the caption carries the options too.
    rest = utf16_len(plain(build(task(question=CYRILLIC * 400), CURRENT).caption)) - 400

    messages = build(task(question=CYRILLIC * (1024 - rest)), CURRENT)

    assert messages.form == "lettered"
    assert utf16_len(plain(messages.caption)) == 1024
    assert messages.caption_cut is False
    over = build(task(question=CYRILLIC * (1025 - rest)), CURRENT)
    assert utf16_len(plain(over.caption)) == 1024
    assert plain(over.caption).startswith(CYRILLIC * (1023 - rest) + "…")
    assert over.caption_cut is True


def test_user_text_cannot_break_the_markup():
    hostile = task(
        question='<b>bold</b> & <a href="x">link</a> </tg-spoiler> &amp;',
        answers=["<i>", "</b>"],
        correct_answer="</b>",
        explanation="<pre>" * 60,
    )

    messages = build(hostile, CURRENT)

    caption = plain(messages.caption)  # parses without "can't parse entities"
    assert caption.startswith('<b>bold</b> & <a href="x">link</a> </tg-spoiler> &amp;')
    assert "A) <i>\nB) </b>" in caption
    assert "</b>" in plain(messages.answer)


def test_cut_counts_utf16_units():
    assert cut("😀" * 10, 5) == "😀😀…"
    assert utf16_len(cut("😀" * 10, 5)) == 5
    assert cut(CYRILLIC * 10, 10) == CYRILLIC * 10
    assert compose.utf16_len("😀ж") == 3


@override_settings(LANGUAGES=[("ru", "Russian"), ("en", "English")])
def test_a_task_without_hashtags_keeps_the_link_last():
    messages = build(task(topic=""), CURRENT)

    assert f"{SITE}/task/" in plain(messages.caption)
