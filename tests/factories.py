"""factory_boy factories for every model."""

from __future__ import annotations

import factory

from tasks.models import SocialMediaPost, Task
from webhooks.models import SocialMediaCredentials, Webhook


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    question = factory.Sequence(lambda n: f"What does print(len('abc') * {n}) output?")
    answers = factory.LazyAttribute(lambda o: ["3", "6", "9", "error"])
    correct_answer = "3"
    explanation = "len('abc') is 3."
    image_url = "https://cdn.quiz.example.com/tasks/1.png"
    topic = "Python"
    difficulty = "medium"
    language = "en"
    published = False


class PinterestCredentialsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialMediaCredentials

    platform = "pinterest"
    access_token = "pina_TESTTOKENpinterest0123456789"
    extra_data = factory.LazyFunction(lambda: {"board_id": "549755885175"})
    is_active = True


class FacebookCredentialsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialMediaCredentials

    platform = "facebook"
    access_token = "EAAB-test-page-token-0123456789"
    extra_data = factory.LazyFunction(lambda: {"page_id": "104512345678901"})
    is_active = True


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    url = "https://hook.eu1.make.com/abc123"
    service_name = "Make.com"
    webhook_type = "social_media"
    target_platforms = factory.LazyFunction(
        lambda: ["instagram", "tiktok", "youtube_shorts", "yandex_dzen"]
    )
    is_active = True


class SocialMediaPostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialMediaPost

    task = factory.SubFactory(TaskFactory, published=True)
    platform = "pinterest"
