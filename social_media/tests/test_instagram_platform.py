"""Instagram's credential check, connection test and metrics, against the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from django.core.exceptions import ValidationError
from django.utils import translation

from emulator.platforms.instagram import IG_USER_ID, USERNAME
from emulator.testing import InProcessEmulator
from social_media.platforms.base import Outcome
from social_media.platforms.instagram.platform import PLATFORM
from social_media.platforms.spec import Route
from tests.factories import SocialMediaPostFactory
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db

TOKEN = "EAAB-test-instagram-token-0123456789"
INSTAGRAM = PLATFORM


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the site's default language is Russian."""
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def server() -> Iterator[InProcessEmulator]:
    with InProcessEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(server, settings) -> InProcessEmulator:
    server.reset()
    server.configure("instagram", defaults=True)
    settings.INSTAGRAM_GRAPH_API_BASE_URL = server.instagram_url
    return server


def account(**extra) -> SocialMediaCredentials:
    return SocialMediaCredentials.objects.create(
        platform="instagram",
        access_token=TOKEN,
        extra_data={"ig_user_id": IG_USER_ID, **extra},
        is_active=True,
    )


def published_media(emu, caption: str = "Quiz") -> str:
    """An image published on the emulator's account; its media id."""
    base = f"{emu.instagram_url}/{IG_USER_ID}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    image = emu.host_file("card.jpg", _jpeg(), "image/jpeg")
    created = requests.post(
        f"{base}/media", data={"image_url": image, "caption": caption}, headers=headers, timeout=5
    )
    done = requests.post(
        f"{base}/media_publish",
        data={"creation_id": created.json()["id"]},
        headers=headers,
        timeout=5,
    )
    return str(done.json()["id"])


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1080, 1350), (200, 40, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


# --- the platform's declarations ----------------------------------------------------------


def test_instagram_has_both_routes():
    assert INSTAGRAM.routes == (Route.WEBHOOK, Route.API)
    assert INSTAGRAM.demo_credential is not None
    INSTAGRAM.validate_extra_data(INSTAGRAM.demo_credential.extra_data)


@pytest.mark.parametrize(
    ("extra_data", "message"),
    [
        ({}, 'Instagram needs {"ig_user_id": "…"}'),
        ({"ig_user_id": "  "}, 'Instagram needs {"ig_user_id": "…"}'),
        ({"ig_user_id": "1784abc"}, "must contain only digits"),
        ({"ig_user_id": "١٧٨٤"}, "must contain only digits"),  # Arabic-Indic digits
        ({"ig_user_id": "17841", "publish_as": "story"}, "publish_as must be one of"),
        ({"ig_user_id": "17841", "publish_as": 3}, "publish_as must be one of"),
    ],
)
def test_bad_extra_data_is_refused_with_a_message(extra_data, message):
    with pytest.raises(ValidationError) as caught:
        INSTAGRAM.validate_extra_data(extra_data)

    assert message in str(caught.value.message_dict["extra_data"])


def test_the_messages_are_translated():
    with pytest.raises(ValidationError) as caught:
        INSTAGRAM.validate_extra_data({"ig_user_id": "17841", "publish_as": "story"})

    with translation.override("ru"):
        message = str(caught.value.message_dict["extra_data"])
    assert message == "['publish_as для Instagram — одно из значений: image, carousel, reels.']"


@pytest.mark.parametrize("form", [None, "image", "carousel", "reels", "Reels "])
def test_good_extra_data_is_accepted(form):
    extra = {"ig_user_id": IG_USER_ID}
    if form is not None:
        extra["publish_as"] = form

    INSTAGRAM.validate_extra_data(extra)  # raises when refused

    assert extra["ig_user_id"] == IG_USER_ID


def test_a_credential_is_checked_on_save():
    credential = SocialMediaCredentials(
        platform="instagram", access_token=TOKEN, extra_data={"ig_user_id": "x1"}
    )

    with pytest.raises(ValidationError):
        credential.full_clean()


# --- connection test ----------------------------------------------------------------------


def test_the_connection_test_reads_the_account_and_its_quota(emu):
    published_media(emu)

    verdict, rejected = INSTAGRAM.test_connection(account())

    assert verdict.ok is True and rejected is None
    assert verdict.message == (
        f"Connected to Instagram account @{USERNAME}. 1 of 50 posts published in the last 24 hours."
    )


def test_an_expired_token_is_rejected_and_reported(emu):
    emu.fault("instagram", "expired_token")

    verdict, rejected = INSTAGRAM.test_connection(account())

    assert verdict.ok is False
    assert "Token rejected" in verdict.message
    assert rejected is not None and "190" in rejected
    assert TOKEN not in verdict.message


def test_an_unknown_account_is_not_connected(emu):
    verdict, rejected = INSTAGRAM.test_connection(
        SocialMediaCredentials(
            platform="instagram", access_token=TOKEN, extra_data={"ig_user_id": "99"}
        )
    )

    assert verdict.ok is False and rejected is None
    assert "Instagram account 99 cannot be read" in verdict.message


def test_without_ig_user_id_nothing_is_asked(emu):
    verdict, _ = INSTAGRAM.test_connection(
        SocialMediaCredentials(platform="instagram", access_token=TOKEN, extra_data={})
    )

    assert verdict.ok is False and "ig_user_id" in verdict.message
    assert emu.requests("instagram") == []


def test_an_unreachable_api_says_so(settings):
    settings.INSTAGRAM_GRAPH_API_BASE_URL = "http://127.0.0.1:9/instagram/v26.0"

    verdict, rejected = INSTAGRAM.test_connection(account())

    assert verdict.ok is False and rejected is None
    assert "Could not reach Instagram" in verdict.message


def test_a_quota_that_cannot_be_read_still_connects(emu):
    emu.fault("instagram", "status", status=500, path="content_publishing_limit")

    verdict, _ = INSTAGRAM.test_connection(account())

    assert verdict.ok is True
    assert "The publishing quota could not be read" in verdict.message


# --- metrics ------------------------------------------------------------------------------


def post_of(media_id: str):
    return SocialMediaPostFactory(platform="instagram", status="published", post_id=media_id)


def test_metrics_are_read_from_media_insights(emu):
    post = post_of(published_media(emu))
    store = emu.native("instagram")
    store.media[post.post_id]["insights"] = {
        "views": 120,
        "reach": 90,
        "likes": 9,
        "comments": 2,
        "saved": 3,
        "shares": 1,
        "total_interactions": 15,
    }

    batch = INSTAGRAM.read_metrics([post], account())

    assert batch is not None and batch.outcome == Outcome.SUCCESS
    reading = batch.readings[post.pk]
    assert reading.values == {
        "views": 120,
        "engagements": 15,
        "saves": 3,
        "shares": 1,
        "comments": 2,
    }
    assert reading.raw["reach"] == 90 and reading.raw["likes"] == 9
    (call,) = emu.requests("instagram", method="GET", path="/insights")
    assert "views" in str(call)


def test_missing_null_and_junk_values_pass_through_raw(emu):
    post = post_of(published_media(emu))
    emu.native("instagram").media[post.post_id]["insights"] = {
        "views": "junk",
        "reach": -4,
        "likes": None,  # no data: Instagram leaves it out
        "total_interactions": 2.5,
    }

    batch = INSTAGRAM.read_metrics([post], account())

    reading = batch.readings[post.pk]
    assert reading.raw == {"views": "junk", "reach": -4, "total_interactions": 2.5}
    assert reading.values == {"views": "junk", "engagements": 2.5}


def test_a_deleted_media_is_skipped_and_the_others_read(emu):
    gone = post_of("17900000000099999")
    live = post_of(published_media(emu))

    batch = INSTAGRAM.read_metrics([gone, live], account())

    assert batch.outcome == Outcome.SUCCESS
    assert list(batch.readings) == [live.pk]


def test_an_expired_token_stops_the_readings(emu):
    post = post_of(published_media(emu))
    emu.fault("instagram", "expired_token", path="/insights")

    batch = INSTAGRAM.read_metrics([post], account())

    assert batch.outcome == Outcome.AUTH
    assert batch.readings == {}
    assert TOKEN not in batch.error_message


def test_a_401_is_auth_and_a_429_is_rate_limited(emu):
    post = post_of(published_media(emu))
    emu.fault("instagram", "status", status=401, path="/insights")
    emu.fault("instagram", "status", status=429, path="/insights")

    first = INSTAGRAM.read_metrics([post], account())
    second = INSTAGRAM.read_metrics([post], account())

    assert first.outcome == Outcome.AUTH
    assert second.outcome == Outcome.RATE_LIMITED


def test_throttling_keeps_what_was_read_and_gives_the_wait(emu):
    first, second = post_of(published_media(emu)), post_of(published_media(emu, "Quiz 2"))
    emu.fault(
        "instagram", "rate_limit", code=4, retry_after=120, path=f"/{second.post_id}/insights"
    )

    batch = INSTAGRAM.read_metrics([first, second], account())

    assert batch.outcome == Outcome.RATE_LIMITED and batch.retry_after == 120
    assert list(batch.readings) == [first.pk]


def test_a_timeout_is_transient(emu, settings):
    settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 1
    post = post_of(published_media(emu))
    emu.fault("instagram", "timeout", seconds=3, path="/insights")

    batch = INSTAGRAM.read_metrics([post], account())
    emu.release()

    assert batch.outcome == Outcome.TRANSIENT


# --- admin ------------------------------------------------------------------------------


def test_the_credential_form_explains_each_platforms_extra_data():
    from social_media.admin.webhook_forms import CredentialsForm

    english = CredentialsForm().fields["extra_data"].help_text
    with translation.override("ru"):
        russian = CredentialsForm().fields["extra_data"].help_text

    assert 'Instagram: {"ig_user_id": "1784…"} (the professional account id' in english
    assert '"carousel" (question and answer cards) or "reels" (the video).' in english
    assert "карточки с вопросом и ответом" in russian
