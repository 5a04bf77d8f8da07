"""VK end to end: the real delivery path over HTTP against the emulator's VK API.

Each test publishes a task through ``delivery.post_publish`` (claim → media → publish →
record) with the VK client pointed at ``emulator/platforms/vk.py``, then checks the post,
its attempts and what the emulated community's wall holds (``create_count``: every
``wall.post`` request). The emulator keeps VK's 3 calls a second per user token, so these
publishes also prove the client's pacing.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from django.utils import timezone, translation

from emulator.platforms import vk
from emulator.testing import InProcessEmulator
from emulator.tests.helpers import fresh
from social_media import delivery
from social_media.tests.contract import SITE_URL, new_post, publish
from tasks.models import SocialMediaPost
from webhooks.models import SocialMediaCredentials

# The emulator is a server on 127.0.0.1: the SSRF guard would refuse it.
pytestmark = [pytest.mark.django_db, pytest.mark.allow_private_urls]

GROUP = vk.DEFAULT_GROUP_ID
OWNER = -GROUP
RU_ANSWERS = ["Все строки", "Ни одной", "Только строки с NULL", "Ошибка"]


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the site's default language is Russian."""
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def server():
    with InProcessEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(server, settings):
    emulator = fresh(server)
    settings.SITE_URL = SITE_URL
    settings.VK_API_BASE_URL = emulator.vk_url
    settings.VK_POST_URL = f"{emulator.url}/vk/wall-{{group_id}}_{{post_id}}"
    settings.VK_REQUESTS_PER_SECOND = 3
    settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 1
    return emulator


def credential(*, token: str = vk.USER_TOKEN, poll: bool = False) -> SocialMediaCredentials:
    extra: dict = {"group_id": str(GROUP)}
    if poll:
        extra["poll"] = True
    return SocialMediaCredentials.objects.create(
        platform="vk", access_token=token, extra_data=extra, is_active=True
    )


def make_due(post: SocialMediaPost) -> SocialMediaPost:
    """The retry's time has come (instead of waiting out the backoff)."""
    SocialMediaPost.objects.filter(pk=post.pk).update(next_attempt_at=timezone.now())
    return post


def wall(emu) -> list[dict]:
    with emu.vk.lock:
        return [emu.vk.post_view(p) for p in emu.vk.posts.values()]


def calls(emu, method: str) -> int:
    return len(emu.requests("vk", path=f"/method/{method}"))


def uploads(emu) -> int:
    return len(emu.requests("vk", path="/vk/upload/"))


# --- publishing --------------------------------------------------------------------------
def test_a_task_becomes_a_community_wall_post_with_its_card(emu):
    credential()
    post = publish(new_post("vk", question="Что выведет print(2 + 2)?", answers=["4", "22"]))

    assert post.status == "published", post.error_message
    [item] = wall(emu)
    assert post.post_id == f"{OWNER}_{item['id']}"
    assert post.post_url == f"{emu.url}/vk/wall-{GROUP}_{item['id']}"
    assert item["from_id"] == OWNER  # from the community, not the admin
    assert [a["type"] for a in item["attachments"]] == ["photo"]
    assert item["attachments"][0]["photo"]["owner_id"] == OWNER
    assert item["text"].startswith("Что выведет print(2 + 2)?")
    assert f"{SITE_URL}/task/{post.task_id}" in item["text"]
    assert emu.create_count("vk") == 1
    assert requests.get(post.post_url, timeout=5).status_code == 200  # the post's page
    assert post.platform_state["photo"] == f"photo{OWNER}_{item['attachments'][0]['photo']['id']}"
    assert post.platform_state["poll"] == ""


def test_the_token_travels_only_in_the_authorization_header(emu):
    credential()
    publish(new_post("vk"))

    api_calls = emu.requests("vk", path="/method/")
    assert api_calls
    for record in api_calls:
        assert record["headers"].get("authorization") == f"Bearer {vk.USER_TOKEN}"
        assert vk.USER_TOKEN not in record["path"]
        assert "access_token" not in json.dumps(record.get("body") or "")
    for record in emu.requests("vk", path="/vk/upload/"):
        assert "authorization" not in record["headers"]


def test_with_a_poll_the_options_come_as_a_vk_poll_within_the_rate_limit(emu):
    credential(poll=True)
    post = publish(new_post("vk", question="Сколько строк вернёт запрос?", answers=RU_ANSWERS))

    assert post.status == "published", post.error_message
    [item] = wall(emu)
    assert [a["type"] for a in item["attachments"]] == ["photo", "poll"]
    poll = item["attachments"][1]["poll"]
    assert poll["question"] == "Сколько строк вернёт запрос?"
    assert [a["text"] for a in poll["answers"]] == RU_ANSWERS
    assert post.platform_state["poll"] == f"poll{OWNER}_{poll['id']}"
    # Four API calls on one user token in one attempt: the emulator answers error 6 past
    # 3 a second (a RATE_LIMITED retry), so they were paced.
    assert len(emu.requests("vk", path="/method/")) == 4
    assert list(post.attempts.values_list("outcome", flat=True)) == ["success"]


def test_a_task_that_does_not_fit_a_poll_goes_without_one(emu):
    credential(poll=True)
    post = publish(new_post("vk", answers=["да", "очень " * 30]))  # an option over 100

    assert post.status == "published"
    assert post.notice.startswith("Posted without a poll")
    assert [a["type"] for a in wall(emu)[0]["attachments"]] == ["photo"]
    assert calls(emu, "polls.create") == 0


def test_cyrillic_text_at_the_limit_is_posted_whole_with_its_link(emu):
    credential()
    question = "Вопрос " + "я" * 20000  # far over 16384 characters
    post = publish(new_post("vk", question=question, answers=["да", "нет"]))

    assert post.status == "published", post.error_message
    text = wall(emu)[0]["text"]
    assert len(text) == 16384 == emu.vk.config.message_limit
    assert f"{SITE_URL}/task/{post.task_id}" in text  # the link survives the cut


def test_text_over_vks_limit_fails_permanently(emu):
    emu.vk.config.message_limit = 100  # VK refusing what we thought fits
    credential()
    post = publish(new_post("vk", question="Вопрос " + "я" * 500))

    assert post.status == "failed"
    assert post.failure_kind == "permanent"
    assert "error 100" in post.error_message and "too long" in post.error_message
    assert wall(emu) == []


# --- VK's errors -------------------------------------------------------------------------
def test_an_expired_token_fails_and_flags_the_credential(emu):
    account = credential()
    emu.fault("vk", "expired_token")

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("failed", "auth")
    assert "error 5" in post.error_message
    account.refresh_from_db()
    assert account.needs_reconnect is True
    assert emu.create_count("vk") == 0


def test_a_revoked_token_is_error_5_too(emu):
    credential()
    emu.vk.revoke(vk.USER_TOKEN)

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("failed", "auth")
    assert "invalid, expired or revoked" in post.error_message


@pytest.mark.parametrize(
    ("fault", "says"), [("rate_limit", "error 6"), ("flood_control", "error 9")]
)
def test_rate_and_flood_limits_are_retried_later(emu, fault, says):
    credential()
    emu.fault("vk", fault, on="create")

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("pending", "rate_limited")
    assert says in post.error_message
    assert post.next_attempt_at is not None
    wait = (post.next_attempt_at - timezone.now()).total_seconds()
    assert wait > (300 if fault == "flood_control" else 10)
    assert post.platform_state["photo"]  # the card is kept for the retry
    assert wall(emu) == []

    post = publish(make_due(post))

    assert post.status == "published"
    assert uploads(emu) == 1


def test_a_captcha_fails_with_a_clear_message(emu):
    credential()
    emu.fault("vk", "captcha", on="create")

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("failed", "permanent")
    assert "captcha" in post.error_message
    assert "by hand" in post.error_message


def test_a_user_who_is_not_an_admin_gets_error_15(emu):
    emu.vk.add_token("vk1.a.stranger-token-0001", "user", user_id=2002, groups=[])
    credential(token="vk1.a.stranger-token-0001")

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("failed", "permanent")
    assert "error 15" in post.error_message
    assert "not an admin or editor" in post.error_message


@pytest.mark.parametrize("code", [27, 15])
def test_a_community_token_is_refused_with_what_to_enter_instead(emu, code):
    emu.vk.config.group_token_error = code
    account = credential(token=vk.GROUP_TOKEN)

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("failed", "permanent")
    assert f"error {code}" in post.error_message
    account.refresh_from_db()
    assert account.needs_reconnect is False


def test_no_right_to_post_is_error_214(emu):
    credential()
    emu.fault("vk", "status", status=400, code=214, on="create")

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("failed", "permanent")
    assert "error 214" in post.error_message


def test_the_daily_post_cap_is_retried_later(emu):
    emu.vk.config.posts_per_day = 1
    credential()
    assert publish(new_post("vk")).status == "published"

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("pending", "rate_limited")
    assert "daily post limit" in post.error_message
    assert post.next_attempt_at is not None
    assert (post.next_attempt_at - timezone.now()).total_seconds() > 3000


# --- faults in the middle of the flow ----------------------------------------------------
def test_an_upload_server_5xx_is_retried_and_nothing_is_posted_twice(emu):
    credential()
    emu.fault("vk", "status", status=502, path="/vk/upload/")

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("pending", "transient")
    assert "photo" not in post.platform_state
    post = publish(make_due(post))
    assert post.status == "published"
    assert emu.create_count("vk") == 1
    assert len(wall(emu)) == 1


def test_a_failure_after_the_photo_was_saved_reuses_it_on_retry(emu):
    credential(poll=True)
    emu.fault("vk", "status", status=500, on="create")  # wall.post answers 500

    post = publish(new_post("vk", answers=["4", "5"]))

    assert (post.status, post.failure_kind) == ("pending", "transient")
    saved = dict(post.platform_state)
    assert saved["photo"].startswith(f"photo{OWNER}_") and saved["poll"].startswith("poll")

    post = publish(make_due(post))

    assert post.status == "published", post.error_message
    assert (uploads(emu), calls(emu, "photos.saveWallPhoto"), calls(emu, "polls.create")) == (
        1,
        1,
        1,
    )
    [item] = wall(emu)
    assert f"photo{OWNER}_{item['attachments'][0]['photo']['id']}" == saved["photo"]
    assert emu.create_count("vk") == 2  # the refused wall.post and the one that worked


def test_a_timeout_before_wall_post_is_a_plain_retry(emu):
    credential()
    emu.fault("vk", "timeout", seconds=3, process="never", path="photos.saveWallPhoto")

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("pending", "transient")
    assert post.needs_reconcile is False
    assert "Nothing is on the wall yet" in post.error_message
    emu.release()


def test_an_unknown_end_of_wall_post_is_found_on_the_wall_without_a_second_post(emu):
    credential()
    emu.fault("vk", "timeout", seconds=3, process="before", on="create")

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("pending", "unknown")
    assert post.needs_reconcile is True
    emu.release()
    post = publish(make_due(post))

    assert post.status == "published", post.error_message
    [item] = wall(emu)
    assert post.post_url == f"{emu.url}/vk/wall-{GROUP}_{item['id']}"
    assert emu.create_count("vk") == 1
    kinds = list(post.attempts.order_by("pk").values_list("kind", "outcome"))
    assert kinds == [("publish", "unknown"), ("reconcile", "success")]


def test_an_unknown_end_with_nothing_posted_is_sent_once_more(emu):
    credential()
    emu.fault("vk", "timeout", seconds=3, process="never", on="create")

    post = publish(new_post("vk"))
    emu.release()
    assert post.needs_reconcile is True
    post = publish(make_due(post))

    assert post.status == "published"
    assert len(wall(emu)) == 1
    assert uploads(emu) == 1  # the card saved before is reused
    kinds = list(post.attempts.order_by("pk").values_list("kind", "outcome"))
    assert kinds == [("publish", "unknown"), ("reconcile", "not_found"), ("publish", "success")]


def test_a_junk_answer_to_wall_post_is_reconciled(emu):
    credential()
    emu.fault("vk", "malformed", on="create")

    post = publish(new_post("vk"))

    assert (post.status, post.failure_kind) == ("pending", "unknown")
    post = publish(make_due(post))
    assert post.status == "published"
    assert len(wall(emu)) == 1


def test_reconcile_tells_task_1_from_task_12(emu):
    """A post whose link is another task's (a longer id) is not ours."""
    credential()
    first = new_post("vk")
    other_link = f"{SITE_URL}/task/{first.task_id}7"
    # Another admin posts it (its own token: VK counts calls per token).
    emu.vk.add_token("vk1.a.another-admin-token", "user", user_id=3003, groups=[GROUP])
    requests.post(
        f"{emu.vk_url}/wall.post",
        data={
            "access_token": "vk1.a.another-admin-token",
            "v": "5.199",
            "owner_id": OWNER,
            "from_group": 1,
            "message": f"Other task: {other_link}",
        },
        timeout=5,
    )
    first.needs_reconcile = True
    first.save(update_fields=["needs_reconcile"])

    post = delivery.post_publish(post_id=first.pk)

    assert post is not None and post.status == "published", post and post.error_message
    assert len(wall(emu)) == 2
    assert [k for k, _o in post.attempts.values_list("kind", "outcome")] == ["reconcile", "publish"]


# --- connection test and metrics ---------------------------------------------------------
def test_connection_test_accepts_an_admins_user_token(emu):
    verdict, reason = PLATFORM().test_connection(credential())

    assert verdict.ok is True, verdict.message
    assert "Quiz demo" in verdict.message
    assert reason is None


@pytest.mark.parametrize(
    ("token", "says"),
    [(vk.GROUP_TOKEN, "error 27"), ("vk1.a.stranger-token-0002", "not an admin")],
)
def test_connection_test_refuses_tokens_that_cannot_post(emu, token, says):
    emu.vk.add_token("vk1.a.stranger-token-0002", "user", user_id=2003, groups=[])
    verdict, reason = PLATFORM().test_connection(credential(token=token))

    assert verdict.ok is False
    assert says in verdict.message
    assert reason is None


def test_connection_test_flags_a_revoked_token(emu):
    emu.vk.revoke(vk.USER_TOKEN)
    verdict, reason = PLATFORM().test_connection(credential())

    assert verdict.ok is False
    assert reason is not None and "error 5" in reason


def PLATFORM():
    from social_media.platforms.registry import PLATFORMS

    return PLATFORMS["vk"]


def test_metrics_come_from_wall_get_by_id_in_one_call(emu):
    account = credential()
    posts = [publish(new_post("vk")) for _ in range(2)]
    emu.vk.config.views_per_second = 0
    for number, post in enumerate(posts, start=1):
        post_id = int(post.post_id.split("_")[1])
        emu.vk.set_metrics(OWNER, post_id, views=100 * number, likes=number, comments=3)

    batch = PLATFORM().read_metrics(posts, account)

    assert batch.outcome == "success"
    assert calls(emu, "wall.getById") == 1
    first = batch.readings[posts[0].pk]
    assert first.raw["views"] >= 100 and first.raw["likes"] >= 1
    assert first.values["views"] == first.raw["views"]
    assert first.values["comments"] == first.raw["comments"]
    assert first.values["shares"] == first.raw["reposts"]


def test_metrics_after_a_revoked_token_are_auth(emu):
    account = credential()
    post = publish(new_post("vk"))
    emu.vk.revoke(vk.USER_TOKEN)

    batch = PLATFORM().read_metrics([post], account)

    assert (batch.outcome, batch.readings) == ("auth", {})
    assert vk.USER_TOKEN not in batch.error_message


def test_a_worker_lost_after_the_photo_was_saved_posts_once_without_uploading(emu):
    """A worker died after saving the photo (the state holds it) and before wall.post."""
    credential()
    post = new_post("vk")
    first = publish(post)
    photo = first.platform_state["photo"]
    with emu.vk.lock:
        emu.vk.posts.clear()  # as if wall.post had never been sent
    SocialMediaPost.objects.filter(pk=post.pk).update(
        status="pending",
        needs_reconcile=True,
        post_id="",
        post_url="",
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )

    again = publish(post)

    assert again.status == "published"
    assert uploads(emu) == 1
    assert again.platform_state["photo"] == photo
    assert len(wall(emu)) == 1
    kinds = list(again.attempts.order_by("pk").values_list("kind", "outcome"))
    assert kinds[-2:] == [("reconcile", "not_found"), ("publish", "success")]


def test_a_stored_photo_vk_no_longer_has_is_uploaded_again(emu):
    """The state's photo is gone (deleted in VK): the post starts over instead of failing."""
    credential()
    emu.fault("vk", "status", status=500, on="create")
    post = publish(new_post("vk"))
    assert post.platform_state["photo"]
    with emu.vk.lock:
        emu.vk.photos.clear()

    post = publish(make_due(post))

    assert (post.status, post.failure_kind) == ("pending", "transient")
    assert "attachments" in post.error_message
    assert post.platform_state == {}
    post = publish(make_due(post))
    assert post.status == "published", post.error_message
    assert uploads(emu) == 2
    assert len(wall(emu)) == 1


def test_threads_sharing_a_token_stay_within_vks_three_calls_a_second(emu):
    """Three posts at once on one token (a threaded worker): the pacer spaces their calls,
    so the emulator, which refuses a fourth call within a second, never answers error 6."""
    from concurrent.futures import ThreadPoolExecutor

    from social_media.platforms.vk.client import VkClient

    def read_group(_n: int) -> list[str]:
        client = VkClient(token=vk.USER_TOKEN)
        return [str(client.get_group(group_id=str(GROUP))["name"]) for _ in range(3)]

    with ThreadPoolExecutor(max_workers=3) as pool:
        names = [name for found in pool.map(read_group, range(3)) for name in found]

    assert names == ["Quiz demo"] * 9
    arrivals = sorted(r["received_at"] for r in emu.requests("vk", path="/method/"))
    assert len(arrivals) == 9
    # Any four consecutive calls span more than a second.
    spans = [later - earlier for earlier, later in zip(arrivals, arrivals[3:], strict=False)]
    assert all(span > 0.95 for span in spans), spans


@pytest.mark.parametrize(("length", "with_poll"), [(100, True), (101, False)])
def test_cyrillic_poll_options_at_the_limit(emu, length, with_poll):
    credential(poll=True)
    option = ("Ответ" * 30)[:length]
    post = publish(new_post("vk", question="Я" * 300, answers=["да", option]))

    assert post.status == "published", post.error_message
    attachments = wall(emu)[0]["attachments"]
    assert [a["type"] for a in attachments] == (["photo", "poll"] if with_poll else ["photo"])
    if with_poll:
        poll = attachments[1]["poll"]
        assert poll["answers"][1]["text"] == option
        assert len(poll["question"]) == 255 and poll["question"].endswith("…")
    else:
        assert post.notice.startswith("Posted without a poll")
