"""Poll results coming back: the updates endpoint and the getUpdates fallback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from emulator.platforms.telegram import DEFAULT_TOKEN
from emulator.testing import InProcessEmulator
from social_media import delivery
from social_media.periodic import platform_jobs_run
from social_media.tests.contract import new_post
from tasks.models import SocialMediaPost
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db

URL = "/api/webhooks/telegram-updates/"
SECRET = "s3cret_Token-for-the-updates-0123456789"
BOT_ID = int(DEFAULT_TOKEN.split(":")[0])


@pytest.fixture
def emu(settings) -> Iterator[InProcessEmulator]:
    with InProcessEmulator() as emulator:
        settings.TELEGRAM_BOT_API_BASE_URL = emulator.telegram_url
        settings.TELEGRAM_LINK_BASE_URL = f"{emulator.url}/t.me"
        settings.TELEGRAM_WEBHOOK_SECRET = SECRET
        settings.TELEGRAM_WEBHOOK_URL = ""
        yield emulator


@pytest.fixture
def post(emu) -> SocialMediaPost:
    """A task published as the card and a quiz poll (correct answer: option 1)."""
    SocialMediaCredentials.objects.create(
        platform="telegram", access_token=DEFAULT_TOKEN, extra_data={"chat_id": "@quiz_demo"}
    )
    post = new_post("telegram", question="2 + 2?", answers=["3", "4", "5"], correct_answer="4")
    for _ in range(3):
        SocialMediaPost.objects.filter(pk=post.pk).update(next_attempt_at=None)
        post = delivery.post_publish(post_id=post.pk) or post
    assert post.status == "published"
    return post


def poll_id(post: SocialMediaPost) -> str:
    return post.platform_state["poll"]["id"]


def pending_updates(emu: InProcessEmulator) -> list[dict]:
    with emu.telegram.lock:
        return [json.loads(json.dumps(u)) for u in emu.telegram.updates.get(BOT_ID, [])]


def deliver(client, update, secret: str | None = SECRET, body: bytes | None = None):
    headers = {} if secret is None else {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret}
    data = body if body is not None else json.dumps(update).encode()
    return client.post(URL, data=data, content_type="application/json", **headers)


def test_votes_pushed_to_the_webhook_are_recorded_on_the_post(client, emu, post):
    emu.telegram.vote(poll_id(post), 10, correct_share=0.6)
    update = pending_updates(emu)[-1]

    answer = deliver(client, update)

    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "recorded": True}
    post.refresh_from_db()
    poll = post.platform_state["poll"]
    assert (poll["voters"], poll["correct_votes"], poll["correct_share"]) == (10, 6, 0.6)
    assert poll["update_id"] == update["update_id"]
    assert post.platform_state["photo"]["message_id"] == 1  # the rest of the state stays


def test_an_older_update_delivered_late_does_not_undo_newer_numbers(client, emu, post):
    emu.telegram.vote(poll_id(post), 4, correct_share=0.5)
    emu.telegram.vote(poll_id(post), 6, correct_share=1.0)
    older, newer = pending_updates(emu)[-2:]

    deliver(client, newer)
    deliver(client, older)

    post.refresh_from_db()
    assert post.platform_state["poll"]["voters"] == 10
    assert post.platform_state["poll"]["correct_votes"] == 8


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(client, emu, post, secret):
    emu.telegram.vote(poll_id(post), 10, correct_share=0.6)
    before = dict(post.platform_state)

    answer = deliver(client, pending_updates(emu)[-1], secret=secret)

    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"
    post.refresh_from_db()
    assert post.platform_state == before


def test_without_a_configured_secret_every_update_is_refused(client, emu, post, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    emu.telegram.vote(poll_id(post), 3)

    answer = deliver(client, pending_updates(emu)[-1], secret="")

    assert answer.status_code == 403


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_a_body_that_is_not_an_update_is_400_and_changes_nothing(client, emu, post, body):
    before = dict(post.platform_state)

    answer = deliver(client, None, body=body)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid"
    post.refresh_from_db()
    assert post.platform_state == before


def test_an_unknown_poll_is_acknowledged_and_changes_nothing(client, emu, post):
    before = dict(post.platform_state)
    update = {
        "update_id": 1,
        "poll": {"id": "999", "total_voter_count": 5, "options": [{"text": "a", "voter_count": 5}]},
    }

    answer = deliver(client, update)

    assert answer.status_code == 200
    assert answer.json()["recorded"] is False
    post.refresh_from_db()
    assert post.platform_state == before


def test_other_updates_are_acknowledged(client, emu, post):
    answer = deliver(client, {"update_id": 5, "channel_post": {"message_id": 1}})

    assert answer.status_code == 200
    assert answer.json()["recorded"] is False


def test_a_get_request_is_not_allowed(client, emu):
    assert client.get(URL).status_code == 405


def test_without_a_webhook_the_periodic_job_fetches_updates(emu, post):
    emu.telegram.vote(poll_id(post), 8, correct_share=0.25)

    done = platform_jobs_run()

    assert done["telegram"]["updates"] == 1
    post.refresh_from_db()
    poll = post.platform_state["poll"]
    assert (poll["voters"], poll["correct_votes"], poll["correct_share"]) == (8, 2, 0.25)
    # Confirmed: the next run fetches nothing again.
    assert platform_jobs_run()["telegram"]["updates"] == 0


def test_a_closed_poll_is_recorded_as_closed(emu, post):
    emu.telegram.vote(poll_id(post), 2, correct_share=1.0)
    emu.telegram.close_poll(poll_id(post))

    platform_jobs_run()

    post.refresh_from_db()
    assert post.platform_state["poll"]["is_closed"] is True
    assert post.platform_state["poll"]["voters"] == 2


def test_with_a_webhook_url_the_periodic_job_registers_it(emu, post, settings):
    settings.TELEGRAM_WEBHOOK_URL = "https://quiz.example.com/api/webhooks/telegram-updates/"

    done = platform_jobs_run()

    assert done["telegram"]["webhooks_set"] == 1
    bot = emu.telegram.bots[DEFAULT_TOKEN]
    assert bot.webhook_url == settings.TELEGRAM_WEBHOOK_URL
    assert bot.secret_token == SECRET
    assert platform_jobs_run()["telegram"]["webhooks_set"] == 0  # already set
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET + "-rotated"
    assert platform_jobs_run()["telegram"]["webhooks_set"] == 1  # a new secret is set
    assert bot.secret_token == SECRET + "-rotated"


def test_a_revoked_bot_does_not_stop_the_job(emu, post):
    emu.telegram.revoke(DEFAULT_TOKEN)

    done = platform_jobs_run()

    assert done["telegram"]["failed"] == 1
    SocialMediaCredentials.objects.update(needs_reconnect=True)
    assert platform_jobs_run()["telegram"]["bots"] == 0  # flagged: left alone until replaced


def test_a_poll_update_with_junk_numbers_changes_nothing(client, emu, post):
    before = dict(post.platform_state)
    update = {
        "update_id": 10**9,
        "poll": {"id": poll_id(post), "total_voter_count": "ten", "options": "many"},
    }

    answer = deliver(client, update)

    assert answer.status_code == 200
    assert answer.json()["recorded"] is False
    post.refresh_from_db()
    assert post.platform_state == before


def test_read_metrics_reports_the_recorded_votes(emu, post):
    from social_media.platforms.telegram.platform import PLATFORM

    credential = SocialMediaCredentials.objects.get(platform="telegram")
    untouched = PLATFORM.read_metrics([post], credential).readings[post.pk]
    assert untouched.values == {"answers": 0, "correct_share": None}  # no vote yet

    emu.telegram.vote(poll_id(post), 20, correct_share=0.35)
    platform_jobs_run()
    post.refresh_from_db()

    reading = PLATFORM.read_metrics([post], credential).readings[post.pk]
    assert reading.values == {"answers": 20, "correct_share": 0.35}
    assert reading.raw["total_voter_count"] == 20
    assert reading.raw["correct_votes"] == 7
    assert sum(reading.raw["option_votes"]) == 20


def test_a_post_without_a_poll_has_no_reading(emu, post):
    from social_media.platforms.telegram.platform import PLATFORM

    credential = SocialMediaCredentials.objects.get(platform="telegram")
    state = dict(post.platform_state)
    state.pop("poll")
    state["form"] = "lettered"
    post.platform_state = state

    assert PLATFORM.read_metrics([post], credential).readings == {}
