"""Caption templates: the defaults are today's texts, custom ones reach every sender,
the sandbox refuses what it must, limits apply after rendering, publishing never fails."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from social_media.caption_sandbox import LOOP_BUDGET, CaptionError, render_caption
from social_media.captions import CaptionBook, caption_preview, content_for, template_errors
from social_media.content import (
    DEFAULT_LIMITS,
    ELLIPSIS,
    LIMITS,
    Captions,
    build_content,
    caption_context,
    first_line,
    hashtags_for,
    truncate,
)
from social_media.models import CaptionTemplate
from social_media.payloads import build_payload
from social_media.tests.contract import GRAPH_API, PINTEREST_API, SITE_URL, load_fixture, publish
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)

MAKE = "https://hook.eu1.make.com/abc123"
PINS = f"{PINTEREST_API}/pins"
PAGE = "104512345678901"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.FACEBOOK_GRAPH_API_BASE_URL = GRAPH_API
    settings.FACEBOOK_APP_SECRET = ""


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def task(**fields):
    fields.setdefault("id", 57)
    fields.setdefault("question", "What does print(len('abc') * 2) output?")
    return TaskFactory.build(**fields)


# --- the defaults are today's texts ---------------------------------------------------

_OLD_PHRASES = {
    "ru": {
        "title": "Квиз по теме «{topic}»: {question}",
        "title_no_topic": "Квиз: {question}",
        "options": "Варианты",
        "answer_at": "Ответ и объяснение",
    },
    "en": {
        "title": "{topic} Quiz: {question}",
        "title_no_topic": "Quiz: {question}",
        "options": "Options",
        "answer_at": "Answer and explanation",
    },
}


def _old_texts(quiz, platform_key: str) -> tuple[str, str]:
    """The title and description as the code built them before caption templates."""
    limits = LIMITS.get(platform_key, DEFAULT_LIMITS)
    phrases = _OLD_PHRASES.get(quiz.language.split("-")[0], _OLD_PHRASES["en"])
    question = first_line(quiz.question)
    template = phrases["title"] if quiz.topic else phrases["title_no_topic"]
    full_title = template.format(topic=quiz.topic, question=question)
    tags = hashtags_for(quiz, limits.max_hashtags)
    answers = quiz.answers if isinstance(quiz.answers, list) else []
    options = "\n".join(f"{chr(ord('A') + i)}) {answer}" for i, answer in enumerate(answers))
    body = quiz.question.strip()
    if options:
        body += f"\n\n{phrases['options']}:\n{options}"
    tail = f"\n\n{phrases['answer_at']}: {quiz.public_url}"
    if tags:
        tail += "\n\n" + " ".join(tags)
    room = limits.description - len(tail)
    if room < 20:
        tail, room = "", limits.description
    return truncate(full_title, limits.title), truncate(body, room) + tail


_text = st.lists(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
    | st.sampled_from(["\n", "\n\n", " ", "{{ link }}", "{% if %}", "Ж", "«", "https://"]),
    max_size=15,
).map("".join)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    question=_text.filter(lambda text: text.strip()),
    answers=st.lists(_text, max_size=6),
    topic=_text.map(lambda text: text.replace("\n", " ")[:100]),
    language=st.sampled_from(["ru", "en", "ru-ru", "de", "en-us"]),
    platform=st.sampled_from([*sorted(LIMITS), "unknown"]),
    repeat=st.integers(min_value=1, max_value=60),
)
def test_the_default_templates_give_todays_texts_byte_for_byte(
    question, answers, topic, language, platform, repeat
):
    quiz = task(question=question * repeat, answers=answers, topic=topic, language=language)

    content = build_content(quiz, platform)

    assert (content.title, content.description) == _old_texts(quiz, platform)


@pytest.mark.django_db
def test_without_rows_the_senders_use_the_defaults():
    quiz = TaskFactory(language="ru", topic="Алгоритмы")

    assert content_for(quiz, "pinterest") == build_content(quiz, "pinterest")
    assert CaptionBook.load().templates == {}


# --- custom templates reach the payload and the request bodies ------------------------


CUSTOM_TITLE = "{{ topic|upper }} · {{ difficulty }}"
CUSTOM_DESCRIPTION = (
    "❓ {{ question }}\n{% for answer in answers %}\n• {{ answer }}{% endfor %}\n\n"
    "👉 {{ link }} {{ hashtags|join:' ' }}"
)


@pytest.mark.django_db
def test_a_custom_template_changes_the_nested_webhook_payload(
    mocked_responses, django_capture_on_commit_callbacks
):
    CaptionTemplate.objects.create(
        platform="instagram", language="ru", title=CUSTOM_TITLE, description=CUSTOM_DESCRIPTION
    )
    WebhookFactory(url=MAKE, target_platforms=["instagram", "tiktok"])
    mocked_responses.post(MAKE, body="Accepted")

    with django_capture_on_commit_callbacks(execute=True):
        quiz = TaskFactory(
            published=True,
            language="ru",
            topic="Питон",
            difficulty="hard",
            question="Что выведет print(2 ** 3)?",
            answers=["6", "8"],
        )

    bodies = {
        body["platform"]: body["content"]
        for body in (json.loads(call.request.body) for call in mocked_responses.calls)
    }
    link = f"{SITE_URL}/task/{quiz.pk}"
    assert bodies["instagram"]["title"] == "ПИТОН · Сложная"
    assert bodies["instagram"]["description"] == (
        f"❓ Что выведет print(2 ** 3)?\n\n• 6\n• 8\n\n👉 {link} #питон #программирование "
        "#квиз #викторина"
    )
    # Another platform of the same task keeps the built-in text.
    assert bodies["tiktok"]["title"] == "Квиз по теме «Питон»: Что выведет print(2 ** 3)?"


@pytest.mark.django_db
def test_a_custom_template_changes_the_pinterest_request_body(mocked_responses):
    PinterestCredentialsFactory()
    CaptionTemplate.objects.create(
        platform="pinterest", language="en", title="Q: {{ question_first_line }}"
    )
    quiz = TaskFactory(published=True, language="en", question="Why?\nprint(1)")
    mocked_responses.post(PINS, status=201, json={"id": "42"})

    post = publish(quiz.social_posts.get(platform="pinterest"))

    sent = json.loads(mocked_responses.calls[0].request.body)
    assert sent["title"] == "Q: Why?"
    assert sent["description"] == build_content(quiz, "pinterest").description  # blank: default
    assert post.status == "published"


@pytest.mark.django_db
def test_a_custom_template_changes_the_facebook_request_body(mocked_responses):
    FacebookCredentialsFactory()
    CaptionTemplate.objects.create(
        platform="facebook",
        language="en",
        description="{{ question }} ({{ answers|length }} options)\n\nAnswer: {{ link }}",
    )
    quiz = TaskFactory(published=True, language="en", question="2 + 2?", image_url="")
    created = load_fixture("facebook", "photo_created")  # no image: the generated card is sent
    mocked_responses.post(f"{GRAPH_API}/{PAGE}/photos", json=created)
    mocked_responses.get(
        f"{GRAPH_API}/{created['post_id']}", json={"permalink_url": "https://fb/p/3"}
    )

    post = publish(quiz.social_posts.get(platform="facebook"))

    sent = parse_qs(mocked_responses.calls[0].request.body)
    assert sent["caption"] == [f"2 + 2? (4 options)\n\nAnswer: {SITE_URL}/task/{quiz.pk}"]
    assert post.status == "published"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("task_language", "row_language"), [("ru-ru", "ru"), ("de", "en"), ("en-us", "en")]
)
def test_a_task_language_uses_its_base_language_or_english(task_language, row_language):
    CaptionTemplate.objects.create(platform="tiktok", language=row_language, title="custom")

    assert content_for(task(language=task_language), "tiktok").title == "custom"


@pytest.mark.django_db
def test_inactive_templates_and_other_platforms_are_ignored():
    CaptionTemplate.objects.create(platform="tiktok", language="en", title="off", is_active=False)
    CaptionTemplate.objects.create(platform="instagram", language="en", title="other")

    assert content_for(task(), "tiktok").title == build_content(task(), "tiktok").title


def test_the_flat_payload_carries_no_captions():
    quiz = task()
    custom = Captions(title="custom", description="custom {{ link }}")

    assert build_payload(quiz, "yandex_dzen", "flat", custom) == build_payload(
        quiz, "yandex_dzen", "flat"
    )
    assert build_payload(quiz, "yandex_dzen", "nested", custom)["content"]["title"] == "custom"


# --- the sandbox ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% load static %}", "'load'"),
        ("{% include 'admin/base.html' %}", "'include'"),
        ("{% extends 'admin/base.html' %}", "'extends'"),
        ("{% ssi '/etc/passwd' %}", "'ssi'"),
        ("{% debug %}", "'debug'"),
        ("{% url 'admin:index' %}", "'url'"),
        ("{% csrf_token %}", "'csrf_token'"),
        ("{% now 'Y' %}", "'now'"),
        ("{{ task.__class__ }}", "underscores"),
        ("{{ question.__class__.__mro__ }}", "underscores"),
        ("{{ question.upper }}", "question.upper"),
        ("{{ link.format }}", "link.format"),
        ("{% if answers.count %}x{% endif %}", "answers.count"),
        ("{% with x=question.split %}{{ x }}{% endwith %}", "question.split"),
        ("{{ settings.SECRET_KEY }}", "settings.SECRET_KEY"),
        ("{{ topic|default:request.user }}", "request.user"),
        ("{{ question|center:'99999' }}", "'center'"),
        ("{{ question|add:question }}", "'add'"),
        ("{% for c in question %}{{ c }}{% endfor %}", "not over text"),
        ("{% if %}", "Unexpected end"),
        ("{{ question|truncatechars }}", "requires 2 arguments"),
        ("{% for a in answers %}", "Unclosed tag"),
    ],
)
def test_the_sandbox_refuses(source, message):
    context = caption_context(task(), "pinterest")

    with pytest.raises(CaptionError) as raised:
        render_caption(source, context)

    assert message in str(raised.value)


def test_settings_and_objects_are_out_of_reach():
    context = caption_context(task(), "pinterest")

    for name in ("settings", "task", "request", "user", "view", "SECRET_KEY", "perms"):
        assert render_caption(f"{{{{ {name} }}}}", context) == ""
    assert all(isinstance(value, str | int | tuple) for value in context.values())


def test_the_allowed_language_works_and_is_plain_text():
    context = caption_context(
        task(question="<b>A & B</b>?", answers=["x", "y", "z"], topic=""), "pinterest"
    )
    source = (
        "{{ question }}|{{ answers.0 }}|{{ answers|join:', ' }}|"
        "{% for a in answers_lettered %}{{ forloop.counter }}:{{ a|upper }};{% endfor %}|"
        "{{ topic|default:'none' }}|{% if 'y' in answers %}yes{% endif %}|"
        "{% firstof topic 'no topic' %}|{% comment %}hidden{% endcomment %}"
        "{{ answers|length }}|{{ unknown }}"
    )

    assert render_caption(source, context) == (
        "<b>A & B</b>?|x|x, y, z|1:A) X;2:B) Y;3:C) Z;|none|yes|no topic|3|"
    )


def test_loops_have_a_budget():
    context = {"items": tuple(str(i) for i in range(40))}
    nested = "{% for a in items %}{% for b in items %}.{% endfor %}{% endfor %}"

    assert LOOP_BUDGET < 40 * 41
    with pytest.raises(CaptionError, match="more than"):
        render_caption(nested, context)
    assert render_caption("{% for a in items %}.{% endfor %}", context) == "." * 40


@pytest.mark.parametrize("depth", [300, 450, 600])
@pytest.mark.parametrize(
    ("opening", "closing"), [("{%if a%}", "{%endif%}"), ("{%with b=a%}", "{%endwith%}")]
)
def test_deeply_nested_tags_are_a_readable_refusal(depth, opening, closing):
    source = opening * depth + "x" + closing * depth
    if len(source) > 10_000:
        source = opening * (10_000 // (len(opening) + len(closing)) - 1) + "x"
        source += closing * source.count(opening)

    with translation.override("en"), pytest.raises(CaptionError) as error:
        render_caption(source, {"a": "q"})

    assert "RecursionError" not in str(error.value)
    assert "nests its tags too deeply" in str(error.value) or "at most" in str(error.value)


@pytest.mark.parametrize(
    "source",
    [
        "{% load i18n %}{{ question }}",
        "{{ question.__class__ }}",
        "{{ answers|length|first }}",  # compiles, fails when rendered
        "{% if answers.upper %}{% endif %}",
    ],
)
@pytest.mark.django_db
def test_refused_on_save_with_the_error(source):
    template = CaptionTemplate(platform="tiktok", language="ru", description=source)

    with pytest.raises(ValidationError) as raised:
        template.full_clean(validate_unique=False)

    assert list(raised.value.message_dict) == ["description"]
    assert "This template cannot be used" in raised.value.message_dict["description"][0]


def test_a_branch_only_some_tasks_reach_is_checked_too():
    # The bare sample task (no topic, no answers) runs the {% else %} branch.
    source = "{% if topic %}{{ topic }}{% else %}{{ answers|length|first }}{% endif %}"

    errors = template_errors("tiktok", "en", {"title": source})
    assert "TypeError" in errors["title"]


def test_facebook_descriptions_must_keep_the_link():
    # Facebook (and Instagram) find a post again by the task link in its text.
    errors = template_errors("facebook", "en", {"description": "{{ question }}"})

    assert "{{ link }}" in errors["description"]
    instagram = template_errors("instagram", "en", {"description": "{{ question }}"})
    assert "{{ link }}" in instagram["description"]
    assert template_errors("yandex_dzen", "en", {"description": "{{ question }}"}) == {}
    assert template_errors("facebook", "en", {"description": "{{ question }} {{ link }}"}) == {}


@pytest.mark.django_db
def test_crlf_from_browsers_is_stored_as_lf():
    row = CaptionTemplate.objects.create(
        platform="tiktok", language="en", description="{{ question }}\r\n\r\n{{ link }}"
    )

    row.refresh_from_db()
    assert row.description == "{{ question }}\n\n{{ link }}"
    assert content_for(task(), "tiktok").description == (f"{task().question}\n\n{SITE_URL}/task/57")


# --- limits after rendering -----------------------------------------------------------


def test_a_long_rendered_title_is_one_line_cut_with_an_ellipsis():
    captions = Captions(title="{{ question }}\n{{ question }}")
    quiz = task(question="Ж" * 300, language="ru")

    content = build_content(quiz, "pinterest", captions)

    assert len(content.title) == LIMITS["pinterest"].title
    assert content.title.endswith(ELLIPSIS)
    assert "\n" not in content.title
    assert "title" in content.truncated


def test_a_long_rendered_description_keeps_the_link_paragraph():
    captions = Captions(description="{{ question }}\n\nСсылка: {{ link }}\n{{ hashtags_text }}")
    quiz = task(question="Ж" * 3000, language="ru", topic="")

    content = build_content(quiz, "pinterest", captions)

    assert len(content.description) == LIMITS["pinterest"].description
    tail = f"\n\nСсылка: {SITE_URL}/task/57\n#программирование #квиз #викторина"
    assert content.description.endswith(ELLIPSIS + tail)
    assert "description" in content.truncated


def test_without_the_link_paragraph_the_whole_text_is_cut():
    captions = Captions(description="{{ link }} {{ question }}")
    content = build_content(task(question="x" * 5000), "instagram", captions)

    assert len(content.description) == LIMITS["instagram"].description
    assert content.description.startswith(f"{SITE_URL}/task/57 x")
    assert content.description.endswith(ELLIPSIS)


def test_the_live_preview_says_when_a_text_is_cut():
    quiz = task(question="Ж" * 1000, language="ru")

    data = caption_preview("pinterest", "ru", {"title": "{{ question }}"}, quiz)

    title = data["fields"]["title"]
    assert title["cut"] is True
    assert title["length"] == title["limit"] == 100
    assert title["note"] == "The title is cut to 100 characters."
    assert data["fields"]["description"]["cut"] is True
    with translation.override("ru"):
        data = caption_preview("pinterest", "ru", {"title": "{{ question }}"}, quiz)
    assert data["fields"]["title"]["note"] == "Заголовок обрезан до 100 символов."


def test_the_live_preview_shows_an_error_instead_of_a_text():
    data = caption_preview("tiktok", "en", {"title": "{% load x %}", "description": ""})

    assert "'load'" in data["fields"]["title"]["error"]
    assert data["fields"]["description"]["text"].startswith("What does this print?")


# --- publishing never fails because of a template -------------------------------------


@pytest.mark.django_db
def test_a_broken_row_falls_back_to_the_default_and_warns(mocked_responses, caplog):
    PinterestCredentialsFactory()
    row = CaptionTemplate.objects.create(platform="pinterest", language="en", title="ok")
    # Written around the form's checks, as a bad data migration or a shell could.
    CaptionTemplate.objects.filter(pk=row.pk).update(
        title="{% load static %}", description="{% for c in question %}{% endfor %}"
    )
    quiz = TaskFactory(published=True, language="en")
    mocked_responses.post(PINS, status=201, json={"id": "42"})

    with caplog.at_level(logging.WARNING, logger="social_media.content"):
        post = publish(quiz.social_posts.get(platform="pinterest"))

    assert post.status == "published"
    sent = json.loads(mocked_responses.calls[0].request.body)
    default = build_content(quiz, "pinterest")
    assert (sent["title"], sent["description"]) == (default.title, default.description)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"caption template #{row.pk} title" in w and "'load'" in w for w in warnings)
    assert any("description" in w and "not over text" in w for w in warnings)


@pytest.mark.django_db
def test_a_facebook_template_that_loses_the_link_falls_back(mocked_responses):
    FacebookCredentialsFactory()
    row = CaptionTemplate.objects.create(
        platform="facebook", language="en", description="{{ question }} {{ link }}"
    )
    CaptionTemplate.objects.filter(pk=row.pk).update(
        description="{% if topic == 'zzz' %}{{ link }}{% endif %}{{ question }}"
    )
    quiz = TaskFactory(published=True, language="en", image_url="")
    created = load_fixture("facebook", "photo_created")  # no image: the generated card is sent
    mocked_responses.post(f"{GRAPH_API}/{PAGE}/photos", json=created)
    mocked_responses.get(
        f"{GRAPH_API}/{created['post_id']}", json={"permalink_url": "https://fb/p/3"}
    )

    publish(quiz.social_posts.get(platform="facebook"))

    message = parse_qs(mocked_responses.calls[0].request.body)["caption"][0]
    assert message == build_content(quiz, "facebook").description
    assert re.search(re.escape(quiz.public_url) + r"(?!\d)", message)


@pytest.mark.parametrize(("language", "label"), [("ru", "Сложная"), ("en", "Hard"), ("de", "Hard")])
def test_the_difficulty_is_named_in_the_tasks_language(language, label):
    with translation.override("ru"):  # the editor's language does not matter
        context = caption_context(task(difficulty="hard", language=language), "tiktok")

    assert context["difficulty"] == label
    assert context["difficulty_code"] == "hard"


_TOKENS = st.sampled_from(
    [
        "{%",
        "%}",
        "{{",
        "}}",
        "{#",
        "#}",
        "|",
        ":",
        ".",
        "'",
        '"',
        "=",
        "0",
        "x",
        "if",
        "else",
        "endif",
        "for",
        "in",
        "endfor",
        "empty",
        "with",
        "endwith",
        "not",
        "and",
        "load",
        "include",
        "firstof",
        "comment",
        "endcomment",
        "cycle",
        "block",
        "extends",
        "question",
        "answers",
        "topic",
        "link",
        "forloop",
        "counter",
        "upper",
        "join",
        "slice",
        "default",
        "truncatechars",
        "length",
        "first",
        "_",
        "__class__",
        "Ж",
        "{",
        "}",
        "%",
        " ",
        "\n",
    ]
)


@hypothesis_settings(max_examples=400, deadline=None)
@given(source=st.lists(_TOKENS, max_size=30).map("".join))
def test_any_template_renders_to_text_or_is_refused_with_a_message(source):
    context = caption_context(task(), "pinterest")
    try:
        text = render_caption(source, context)
    except CaptionError as error:
        assert str(error)
    else:
        assert isinstance(text, str)
