"""Webhook payload builders: pure functions of a task and a platform."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from social_media.payloads import build_flat_payload, build_nested_payload, build_payload
from tests.factories import TaskFactory

CREATED = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
UPDATED = datetime(2026, 3, 2, 9, 15, 30, tzinfo=UTC)
GROUP = uuid.UUID("0b6f1d1e-1f3a-4c55-8a59-6e3f4c2b1a00")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://quiz.example.com"


def task(**fields):
    values = {
        "id": 123,
        "question": "What will be the output?",
        "answers": ["1", "2"],
        "correct_answer": "2",
        "explanation": "Because.",
        "image_url": "https://cdn.quiz.example.com/tasks/123.png",
        "topic": "Python",
        "difficulty": "easy",
        "language": "en",
        "translation_group_id": GROUP,
        "created_at": CREATED,
        "updated_at": UPDATED,
    }
    values.update(fields)
    return TaskFactory.build(**values)


def test_nested_top_level_keys_and_metadata():
    payload = build_nested_payload(task(), "tiktok")

    assert list(payload) == ["task_id", "platform", "content", "metadata"]
    assert payload["task_id"] == 123
    assert payload["platform"] == "tiktok"
    assert list(payload["content"]) == [
        "image_url",
        "title",
        "description",
        "explanation",
        "link",
        "hashtags",
        "topic",
        "difficulty",
    ]
    assert payload["content"]["link"] == "https://quiz.example.com/task/123"
    assert payload["metadata"] == {
        "language": "en",
        "translation_group_id": str(GROUP),
        "publish_date": "2026-03-02T09:15:30Z",
    }


def test_nested_publish_date_prefers_the_tasks_publish_date():
    when = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)

    payload = build_nested_payload(task(publish_date=when), "instagram")

    assert payload["metadata"]["publish_date"] == "2026-04-01T12:00:00Z"


def test_nested_texts_follow_the_platforms_limits():
    quiz = task(question="Q" * 5000)

    assert len(build_nested_payload(quiz, "instagram")["content"]["description"]) <= 2200
    assert len(build_nested_payload(quiz, "youtube_shorts")["content"]["title"]) <= 100


def test_flat_shape():
    payload = build_flat_payload(task(), "yandex_dzen")

    assert payload == {
        "task_id": 123,
        "platform": "yandex_dzen",
        "image_url": "https://cdn.quiz.example.com/tasks/123.png",
        "question": "What will be the output?",
        "answers": ["1", "2"],
        "correct_answer": "2",
        "explanation": "Because.",
        "external_link": "https://quiz.example.com/task/123",
        "language": "en",
        "created_at": "2026-03-01T08:30:00Z",
        "published_at": "2026-03-02T09:15:30Z",
    }


def test_flat_answers_are_a_copy():
    quiz = task()
    build_flat_payload(quiz, "yandex_dzen")["answers"].append("3")

    assert quiz.answers == ["1", "2"]


@pytest.mark.parametrize("shape", ["nested", "flat"])
def test_payloads_serialise_to_json(shape):
    text = json.dumps(build_payload(task(language="ru", question="Что?"), "instagram", shape))

    assert json.loads(text)["task_id"] == 123


def test_unknown_shape_is_a_clear_error():
    with pytest.raises(
        ValueError, match=r"Unknown payload format 'xml'; use one of: flat, nested\."
    ):
        build_payload(task(), "instagram", "xml")


def _media():
    from quiz_media.specs import RenderedMedia
    from social_media.media import PostMedia

    card = RenderedMedia(
        name="renders/ab/ab.jpg",
        url="https://quiz.example.com/media/renders/ab/ab.jpg",
        kind="question_card",
        width=1080,
        height=1350,
        mime_type="image/jpeg",
        bytes=1000,
    )
    clip = RenderedMedia(
        name="renders/cd/cd.mp4",
        url="https://quiz.example.com/media/renders/cd/cd.mp4",
        kind="video",
        width=1080,
        height=1920,
        mime_type="video/mp4",
        bytes=2000,
        duration=15.0,
    )
    return PostMedia({"question_card": card, "video": clip})


MEDIA_PAYLOAD = {
    "image": {
        "url": "https://quiz.example.com/media/renders/ab/ab.jpg",
        "width": 1080,
        "height": 1350,
        "mime_type": "image/jpeg",
        "bytes": 1000,
    },
    "answer_image": None,
    "video": {
        "url": "https://quiz.example.com/media/renders/cd/cd.mp4",
        "width": 1080,
        "height": 1920,
        "mime_type": "video/mp4",
        "bytes": 2000,
        "duration": 15.0,
    },
}


def test_nested_payload_carries_media_in_content_and_keeps_every_seed_field():
    without = build_payload(task(), "instagram", "nested")

    payload = build_payload(task(), "instagram", "nested", media=_media())

    assert payload["content"].pop("media") == MEDIA_PAYLOAD
    assert payload == without
    assert "media" not in payload


def test_flat_payload_carries_media_at_the_top_and_keeps_every_seed_field():
    without = build_payload(task(), "yandex_dzen", "flat")

    payload = build_payload(task(), "yandex_dzen", "flat", media=_media())

    assert payload.pop("media") == MEDIA_PAYLOAD
    assert payload == without


def test_a_platform_sent_no_media_gets_all_nulls():
    from social_media.media import NO_MEDIA

    payload = build_payload(task(), "yandex_dzen", "flat", media=NO_MEDIA)

    assert payload["media"] == {"image": None, "answer_image": None, "video": None}
