import pytest

from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_published_task_reaches_every_active_platform(mocked_responses):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    WebhookFactory()
    mocked_responses.post("https://api.pinterest.com/v5/pins", json={"id": "813744"}, status=201)
    mocked_responses.post(
        "https://graph.facebook.com/v26.0/104512345678901/photos",
        json={"id": "1", "post_id": "104512345678901_99"},
    )
    mocked_responses.get(
        "https://graph.facebook.com/v26.0/104512345678901_99",
        json={"permalink_url": "https://www.facebook.com/104512345678901/posts/99"},
    )
    mocked_responses.post("https://hook.eu1.make.com/abc123", body="Accepted")

    task = TaskFactory(published=True)

    posts = {p.platform: p for p in task.social_posts.all()}
    assert set(posts) == {
        "pinterest",
        "facebook",
        "instagram",
        "tiktok",
        "youtube_shorts",
        "yandex_dzen",
    }
    assert posts["pinterest"].status == "published"
    assert posts["pinterest"].post_url == "https://www.pinterest.com/pin/813744/"
    assert posts["facebook"].status == "published"
    assert posts["facebook"].post_url == "https://www.facebook.com/104512345678901/posts/99"
    assert posts["instagram"].status == "processing"
