"""factory_boy factories for every model."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar

import factory

from tasks.models import SocialMediaPost, Task
from webhooks.models import SocialMediaCredentials, Webhook

ModelT = TypeVar("ModelT")


class ModelFactory(factory.django.DjangoModelFactory[ModelT]):
    """Base for the factories below: calling one returns its model's instance (for mypy too)."""

    if TYPE_CHECKING:
        # factory_boy's metaclass __call__ (untyped) creates and returns the model instance;
        # this stub tells mypy so, since a real __new__ may only return the class itself.
        def __new__(cls, *args: Any, **kwargs: Any) -> ModelT:  # type: ignore[misc]
            ...


class TaskFactory(ModelFactory[Task]):
    class Meta:
        model = Task

    question = factory.Sequence(lambda n: f"What does print(len('abc') * {n}) output?")
    answers = factory.LazyAttribute(lambda o: ["3", "6", "9", "error"])
    correct_answer = "3"
    explanation = "len('abc') is 3."
    image_url = ""  # a task needs no image: platforms get a generated card
    topic = "Python"
    difficulty = "medium"
    language = "en"
    published = False


class PinterestCredentialsFactory(ModelFactory[SocialMediaCredentials]):
    class Meta:
        model = SocialMediaCredentials

    platform = "pinterest"
    access_token = "pina_TESTTOKENpinterest0123456789"
    extra_data = factory.LazyFunction(lambda: {"board_id": "549755885175"})
    is_active = True


class FacebookCredentialsFactory(ModelFactory[SocialMediaCredentials]):
    class Meta:
        model = SocialMediaCredentials

    platform = "facebook"
    access_token = "EAAB-test-page-token-0123456789"
    extra_data = factory.LazyFunction(lambda: {"page_id": "104512345678901"})
    is_active = True


class TikTokCredentialsFactory(ModelFactory[SocialMediaCredentials]):
    class Meta:
        model = SocialMediaCredentials

    platform = "tiktok"
    access_token = "act.TESTaccess-token-tiktok-0123456789"
    refresh_token = "rft.TESTrefresh-token-tiktok-0123456789"
    extra_data = factory.LazyFunction(lambda: {"open_id": "-000quizdemoOpenId"})
    is_active = True


class WebhookFactory(ModelFactory[Webhook]):
    class Meta:
        model = Webhook

    url = "https://hook.eu1.make.com/abc123"
    service_name = "Make.com"
    webhook_type = "social_media"
    target_platforms = factory.LazyFunction(
        lambda: ["instagram", "tiktok", "youtube_shorts", "yandex_dzen"]
    )
    is_active = True


class SocialMediaPostFactory(ModelFactory[SocialMediaPost]):
    class Meta:
        model = SocialMediaPost

    task = factory.SubFactory(TaskFactory, published=True)
    platform = "pinterest"


def task_admin_form(task: Task | None = None, **overrides: str) -> dict[str, str]:
    """POST data for the task admin's add/change form: ``task``'s fields, or a default task."""
    data = {
        "question": task.question if task else "What is 2 + 2?",
        "answers": json.dumps(task.answers) if task else '["3", "4"]',
        "correct_answer": task.correct_answer if task else "4",
        "explanation": task.explanation if task else "",
        "image_url": task.image_url if task else "",
        "topic": task.topic if task else "Math",
        "difficulty": task.difficulty if task else "easy",
        "language": task.language if task else "en",
        "publish_date_0": "",
        "publish_date_1": "",
        "social_posts-TOTAL_FORMS": "0",
        "social_posts-INITIAL_FORMS": "0",
        "social_posts-MIN_NUM_FORMS": "0",
        "social_posts-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data
