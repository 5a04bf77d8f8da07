"""Texts per platform: limits counted in characters, link and hashtags always kept."""

from __future__ import annotations

import pytest

from social_media.content import LIMITS, TextLimits, build_content, hashtags_for, truncate
from tests.factories import TaskFactory

SITE_URL = "https://quiz.example.com"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE_URL


def task(**fields):
    fields.setdefault("id", 57)
    return TaskFactory.build(**fields)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("  padded  ", 6, "padded"),
        ("exactly10!", 10, "exactly10!"),
        ("abcdefghijk", 10, "abcdefghi…"),
        ("word word word", 10, "word word…"),
        ("Привет, мир!", 7, "Привет…"),
    ],
)
def test_truncate(text, limit, expected):
    assert truncate(text, limit) == expected
    assert len(truncate(text, limit)) <= limit


@pytest.mark.parametrize("platform", sorted(LIMITS))
@pytest.mark.parametrize("letter", ["x", "Ж", "字"])
def test_every_platform_limit_holds_for_long_texts(platform, letter):
    limits = LIMITS[platform]
    quiz = task(
        question=letter * 70000,
        answers=[letter * 300] * 4,
        topic=letter * 90,
        language="ru" if letter == "Ж" else "en",
    )

    content = build_content(quiz, platform)

    assert len(content.title) <= limits.title
    assert len(content.description) <= limits.description
    assert len(content.alt_text) <= limits.alt_text
    assert len(content.hashtags) <= limits.max_hashtags
    assert f"{SITE_URL}/task/57" in content.description
    assert content.description.endswith(" ".join(content.hashtags))
    assert set(content.truncated) == {"title", "description"}


def test_short_texts_are_not_cut():
    content = build_content(
        task(question="2 + 2?", answers=["3", "4"], topic="Math", language="en"), "pinterest"
    )

    assert content.title == "Math Quiz: 2 + 2?"
    assert content.description == (
        "2 + 2?\n\nOptions:\nA) 3\nB) 4\n\nAnswer and explanation: "
        f"{SITE_URL}/task/57\n\n#math #programming #coding #quiz"
    )
    assert content.truncated == []
    assert content.link == f"{SITE_URL}/task/57"


def test_russian_phrases_and_the_first_line_as_title():
    content = build_content(
        task(question="\n\nЧто выведет код?\nprint(1)", topic="", language="ru"), "facebook"
    )

    assert content.title == "Квиз: Что выведет код?"
    assert "Варианты:" in content.description
    assert "Ответ и объяснение:" in content.description
    assert content.hashtags == ["#программирование", "#квиз", "#викторина"]


@pytest.mark.parametrize(("language", "word"), [("de", "Options"), ("ru-ru", "Варианты")])
def test_language_fallback(language, word):
    assert word in build_content(task(language=language), "instagram").description


@pytest.mark.parametrize(
    ("topic", "first"),
    [("Python 3", "#python3"), ("C++", "#c"), ("Алгоритмы", "#алгоритмы"), ("", "#programming")],
)
def test_topic_hashtag(topic, first):
    assert hashtags_for(task(topic=topic, language="en"))[0] == first


def test_hashtags_are_capped_and_not_repeated():
    tags = hashtags_for(task(topic="quiz", language="en"), limit=30)
    assert tags == ["#quiz", "#programming", "#coding"]
    assert hashtags_for(task(topic="Python", language="en"), limit=2) == ["#python", "#programming"]


def test_tiny_description_limit_drops_the_tail_but_stays_inside(monkeypatch):
    monkeypatch.setitem(LIMITS, "pinterest", TextLimits(title=10, description=30))

    content = build_content(task(question="A long question " * 10), "pinterest")

    assert len(content.description) <= 30
    assert len(content.title) <= 10


def test_task_without_answers_has_no_options_block():
    content = build_content(task(answers=[], question="Open question?"), "facebook")

    assert "Options" not in content.description
    assert content.description.startswith("Open question?\n\nAnswer and explanation:")
