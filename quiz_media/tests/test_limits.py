"""Bad input gets a clear result (issue point 7): long text, many options, unbroken words, long
code, emoji, RTL, CJK, missing or broken logos. Checked on the drawn pixels."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from quiz_media.cards import Brand, CardContent, draw_card, parse_color
from quiz_media.code import split_segments
from quiz_media.models import BrandSettings
from quiz_media.services import render
from quiz_media.specs import MediaRenderError, MediaSpec
from quiz_media.tests.helpers import SMALL_CARD, SMALL_VIDEO, colour_share, open_png
from quiz_media.text import covered_codepoints, sanitize
from tests.factories import TaskFactory

BRAND = Brand("Quiz", "#6366F1", "#F59E0B", "#0F172A")
BACKGROUND = parse_color("#0F172A", "#000")
LONG_QUESTION = ("Почему этот длинный вопрос не помещается на карточку целиком? " * 40)[:2000]
LONG_WORD = "https://example.com/" + "x" * 280
CODE_80 = (
    "```python\n"
    + "\n".join(f"value_{i} = transform(value_{i - 1}, step={i})" for i in range(80))
    + "\n```"
)
INTL = "Emoji 🐍🎉👍🏽 👨‍👩‍👧 🇷🇺 — CJK 你好世界 — RTL שלום עולם — مرحبا بالعالم"


def content(**overrides: object) -> CardContent:
    values: dict[str, object] = {
        "question": "What does len('abc') return?",
        "answers": ("1", "2", "3", "4"),
        "correct_answer": "3",
        "explanation": "len counts the characters.",
        "topic": "Python",
        "difficulty": "easy",
        "language": "en",
        "link": "https://quiz.example.com/task/1",
    }
    values.update(overrides)
    return CardContent(**values)  # type: ignore[arg-type]  # the test's own field values


def margins_are_background(image: Image.Image, margin: int) -> bool:
    w, h = image.size
    strip = max(1, round(12 * min(w, h) / 1080)) + 1
    return all(
        colour_share(image, box, BACKGROUND, tolerance=0) == 1.0
        for box in (
            (0, strip, margin, h),  # left
            (w - margin, strip, w, h),  # right
            (0, h - margin, w, h),  # bottom
        )
    )


CASES = {
    "2,000-character question": content(question=LONG_QUESTION, explanation=LONG_QUESTION),
    "12 options": content(
        answers=tuple(f"Answer option number {i} is long enough to wrap around" for i in range(12)),
        correct_answer="Answer option number 7 is long enough to wrap around",
    ),
    "2,000 characters and 12 options": content(
        question=LONG_QUESTION,
        answers=tuple(LONG_QUESTION[:200] for _ in range(12)),
        explanation=LONG_QUESTION,
    ),
    "300-character word": content(
        question=LONG_WORD,
        answers=("y" * 300, "ok"),
        correct_answer="ok",
        topic="z" * 100,
        link="https://quiz.example.com/task/" + "9" * 300,
    ),
    "80-line code block": content(question="What is printed?\n" + CODE_80),
    "emoji, CJK and RTL": content(
        question=INTL, answers=("🐍", "你好", "שלום", "مرحبا"), correct_answer="שלום"
    ),
    "empty": content(question="", answers=(), correct_answer="", explanation="", topic=""),
}


@pytest.mark.parametrize("kind", ["question_card", "answer_card"])
@pytest.mark.parametrize("name", list(CASES))
def test_hard_content_stays_inside_the_card(name, kind):
    card = draw_card(CASES[name], BRAND, kind, 1080, 1350)
    assert card.image.size == (1080, 1350)
    assert margins_are_background(card.image, margin=60)
    for x0, y0, x1, y1 in card.option_boxes:
        assert x0 >= 60 and y0 >= 200 and x1 <= 1020 and y1 <= 1350 - 60


@pytest.mark.parametrize(
    "name", ["2,000-character question", "2,000 characters and 12 options", "80-line code block"]
)
def test_too_much_text_is_shrunk_then_cut(name):
    card = draw_card(CASES[name], BRAND, "answer_card", 1080, 1350)
    assert card.scale == 0.5
    assert card.truncated


def test_short_text_is_neither_shrunk_nor_cut():
    card = draw_card(content(), BRAND, "question_card", 1080, 1350)
    assert card.scale == 1.0
    assert not card.truncated


def test_missing_glyphs_become_a_visible_question_mark_not_an_empty_box():
    text = sanitize(INTL, "bold")
    covered = covered_codepoints("bold")
    assert all(ord(c) in covered or c.isspace() for c in text)
    assert "你" not in text and "🐍" not in text and "?" in text
    assert "שלום" in text and "مرحبا" in text  # DejaVu has Hebrew and Arabic
    # The card with CJK and emoji is pixel for pixel the card with question marks.
    with_cjk = draw_card(content(question="你好 🐍 test"), BRAND, "question_card", 540, 675)
    with_marks = draw_card(content(question="?? ? test"), BRAND, "question_card", 540, 675)
    assert with_cjk.image.tobytes() == with_marks.image.tobytes()


def test_rtl_options_are_right_aligned():
    card = draw_card(
        content(answers=("שלום עולם", "abc"), correct_answer="abc"),
        BRAND,
        "question_card",
        1080,
        1350,
    )
    x0, y0, x1, y1 = card.option_boxes[0]
    panel = card.palette.panel
    text = card.palette.text
    middle = (x0 + x1) // 2
    # Text pixels in the right half of the option, none in the left half after the badge.
    assert colour_share(card.image, (middle, y0 + 5, x1 - 5, y1 - 5), text, tolerance=40) > 0.01
    assert colour_share(card.image, (x0 + 120, y0 + 5, middle, y1 - 5), text, tolerance=40) == 0.0
    assert colour_share(card.image, (x0 + 120, y0 + 5, middle, y1 - 5), panel, tolerance=0) > 0.99


def test_code_is_highlighted_in_several_colours():
    question = "What is printed?\n```python\ndef f():\n    return 1\n```"
    card = draw_card(content(question=question), BRAND, "question_card", 1080, 1350)
    keyword = parse_color("#C678DD", "#000")  # one-dark's keyword colour: “def”, “return”
    function = parse_color("#61AFEF", "#000")  # one-dark's function name colour: “f”
    region = (60, 200, 1020, 900)
    assert colour_share(card.image, region, keyword, tolerance=10) > 0.0005
    assert colour_share(card.image, region, function, tolerance=10) > 0.0001


@pytest.mark.parametrize(
    "question, expected",
    [
        (
            "Text\n```js\nlet a = 1\n```\nMore",
            [("text", "Text", ""), ("code", "let a = 1", "js"), ("text", "More", "")],
        ),
        (
            "Text\n\n    x = 1\n    y = 2\n\nAfter",
            [("text", "Text", ""), ("code", "x = 1\ny = 2", ""), ("text", "After", "")],
        ),
        ("```\nunterminated", [("code", "unterminated", "")]),
        ("Plain only", [("text", "Plain only", "")]),
    ],
)
def test_code_blocks_are_found(question, expected):
    assert [(s.kind, s.text, s.language) for s in split_segments(question)] == expected


def test_a_card_too_small_for_its_options_fails_readably():
    many = content(answers=tuple(str(i) for i in range(40)))
    with pytest.raises(MediaRenderError, match="too many answer options"):
        draw_card(many, BRAND, "question_card", 64, 64)


@pytest.mark.django_db
def test_hard_content_renders_through_render_as_cards_and_video():
    task = TaskFactory(
        question=LONG_QUESTION + "\n" + CODE_80,
        answers=[LONG_WORD] + [f"option {i} {INTL}" for i in range(11)],
        correct_answer=LONG_WORD,
        explanation=LONG_QUESTION,
        topic="t" * 100,
    )
    card = render(task, SMALL_CARD)
    assert open_png(default_storage.open(card.name).read()).size == (540, 675)
    video = render(task, SMALL_VIDEO)
    assert video.duration == pytest.approx(2.0)


@pytest.mark.django_db
@pytest.mark.parametrize("logo", ["missing", "broken"])
def test_a_missing_or_broken_logo_is_left_out(logo, caplog):
    brand = BrandSettings.objects.create()
    if logo == "broken":
        brand.logo.name = default_storage.save("brand/logo.png", ContentFile(b"not a png at all"))
    else:
        brand.logo.name = "brand/gone.png"
    brand.save()
    media = render(TaskFactory(), SMALL_CARD)
    assert open_png(default_storage.open(media.name).read()).size == (540, 675)
    assert "rendering without it" in caplog.text


@pytest.mark.django_db
def test_the_logo_is_drawn_in_the_header():
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), (255, 0, 0)).save(buffer, "PNG")
    brand = BrandSettings.objects.create()
    brand.logo.save("logo.png", ContentFile(buffer.getvalue()))
    media = render(TaskFactory(), SMALL_CARD)
    image = open_png(default_storage.open(media.name).read())
    header = (0, 0, 270, 80)
    assert colour_share(image, header, (255, 0, 0), tolerance=0) > 0.05


@pytest.mark.django_db
def test_a_card_over_the_byte_limit_is_re_encoded_or_refused():
    task = TaskFactory(question=LONG_QUESTION)
    best = render(task, MediaSpec("question_card", 1080, 1350, "jpeg", 10**8))
    limit = int(best.bytes * 0.8)
    media = render(task, MediaSpec("question_card", 1080, 1350, "jpeg", limit))
    data = default_storage.open(media.name).read()
    assert media.mime_type == "image/jpeg" and len(data) <= limit < best.bytes
    assert open_png(data).format == "JPEG"
    with pytest.raises(MediaRenderError, match="does not fit the platform's limit of 2000 bytes"):
        render(task, MediaSpec("question_card", 1080, 1350, "png", 2000))


@pytest.mark.django_db
def test_a_video_over_the_byte_limit_is_re_encoded_at_a_lower_bit_rate():
    task = TaskFactory(question=LONG_QUESTION)
    first = render(task, SMALL_VIDEO)
    limit = int(first.bytes * 0.7)
    smaller = render(task, MediaSpec("video", 180, 320, "mp4", limit, 1.0, 2.0))
    assert smaller.bytes <= limit
    with pytest.raises(MediaRenderError, match="does not fit"):
        render(task, MediaSpec("video", 180, 320, "mp4", 3000, 1.0, 2.0))


@pytest.mark.parametrize(
    "language, question, correct, easy",
    [
        ("ru", "Вопрос", "Правильный ответ", "Лёгкий"),
        ("en", "Question", "Correct answer", "Easy"),
        ("en-gb", "Question", "Correct answer", "Easy"),
        ("de", "Question", "Correct answer", "Easy"),
    ],
)
def test_labels_follow_the_task_language(language, question, correct, easy):
    card = draw_card(content(language=language), BRAND, "answer_card", 540, 675)
    assert (card.labels["question"], card.labels["correct_answer"], card.labels["easy"]) == (
        question,
        correct,
        easy,
    )


def test_russian_and_english_cards_differ_only_by_their_labels():
    ru = draw_card(content(language="ru"), BRAND, "question_card", 540, 675).image
    en = draw_card(content(language="en"), BRAND, "question_card", 540, 675).image
    assert ru.tobytes() != en.tobytes()
    # The options (same text) are drawn identically.
    card = draw_card(content(language="ru"), BRAND, "question_card", 540, 675)
    box = card.option_boxes[0]
    assert ru.crop(box).tobytes() == en.crop(box).tobytes()


def test_payload_of_a_card_and_of_a_video():
    from quiz_media.specs import RenderedMedia

    card = RenderedMedia(
        "renders/ab/x.png", "https://q/m/x.png", "question_card", 10, 20, "image/png", 30
    )
    assert card.as_payload() == {
        "url": "https://q/m/x.png",
        "width": 10,
        "height": 20,
        "mime_type": "image/png",
        "bytes": 30,
    }
    video = RenderedMedia("v.mp4", "https://q/m/v.mp4", "video", 2, 4, "video/mp4", 5, 15.0)
    assert video.as_payload()["duration"] == 15.0


@pytest.mark.parametrize("name", ["12 options", "2,000 characters and 12 options"])
def test_all_twelve_options_are_drawn_and_only_the_right_one_is_green(name):
    from quiz_media.cards import CORRECT_COLOR

    green = parse_color(CORRECT_COLOR, "#000")
    answers = CASES[name].answers
    correct = [i for i, a in enumerate(answers) if a == CASES[name].correct_answer]
    question = draw_card(CASES[name], BRAND, "question_card", 1080, 1350)
    answer = draw_card(CASES[name], BRAND, "answer_card", 1080, 1350)

    assert len(question.option_boxes) == len(answer.option_boxes) == 12
    tops = [box[1] for box in answer.option_boxes]
    assert tops == sorted(tops) and len(set(tops)) == 12  # one under the other, none overlaid
    for i, box in enumerate(answer.option_boxes):
        share = colour_share(answer.image, box, green, tolerance=30)
        assert (share > 0.5) if i in correct else (share == 0.0), (i, share)
    # The question card gives nothing away.
    assert all(
        colour_share(question.image, b, green, tolerance=30) == 0.0 for b in question.option_boxes
    )
