"""Facebook Graph API: page photo and feed posts, judged at the HTTP boundary."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation
from responses import matchers

from social_media.platforms.lookup import MAX_LOOKUP_PAGES
from social_media.tests.contract import (
    GRAPH_API,
    SITE_URL,
    START,
    PlatformContract,
    load_fixture,
    new_post,
    picture,
    publish,
    stored_image,
)
from tests.factories import FacebookCredentialsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the site's default language is Russian."""
    with translation.override("en"):
        yield


TOKEN = "EAAB-test-page-token-0123456789"
PAGE = "104512345678901"
PHOTOS = f"{GRAPH_API}/{PAGE}/photos"
FEED = f"{GRAPH_API}/{PAGE}/feed"
PUBLISHED_POSTS = f"{GRAPH_API}/{PAGE}/published_posts"
PHOTO = load_fixture("facebook", "photo_created")
PERMALINK = load_fixture("facebook", "permalink")


class TestFacebookContract(PlatformContract):
    platform = "facebook"
    token = TOKEN

    def make_credential(self, **fields):
        return FacebookCredentialsFactory(access_token=TOKEN, **fields)

    def publish_url(self, credential):
        return PHOTOS

    def register_success(self, rsps, credential):
        rsps.post(PHOTOS, json=PHOTO)
        rsps.get(f"{GRAPH_API}/{PHOTO['post_id']}", json=PERMALINK)
        return PHOTO["post_id"], PERMALINK["permalink_url"]

    def lookup_url(self, credential):
        return PUBLISHED_POSTS

    def register_lookup(self, rsps, credential, task, found):
        posts = load_fixture("facebook", "published_posts")
        url = f"https://www.facebook.com/{PAGE}/posts/{found}"
        if found:
            message = f"Quiz\n\nAnswer and explanation: {task.public_url}\n\n#python"
            posts["data"].insert(0, {"id": found, "message": message, "permalink_url": url})
        rsps.get(
            PUBLISHED_POSTS,
            json=posts,
            match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})],
        )
        return (found, url) if found else None

    def auth_error(self):
        return 400, load_fixture("facebook", "error_190")


@pytest.fixture
def credential(settings):
    settings.SITE_URL = SITE_URL
    settings.FACEBOOK_GRAPH_API_BASE_URL = GRAPH_API
    settings.FACEBOOK_APP_SECRET = ""
    return FacebookCredentialsFactory(access_token=TOKEN)


def form(call) -> dict[str, list[str]]:
    body = call.request.body
    return parse_qs(body.decode() if isinstance(body, bytes) else body)


def test_task_with_a_fitting_image_becomes_a_photo_post_of_it(mocked_responses, credential):
    post = new_post("facebook", image_url="https://cdn.quiz.example.com/tasks/5.png")
    mocked_responses.get("https://cdn.quiz.example.com/tasks/5.png", body=picture(1200, 628))
    mocked_responses.post(PHOTOS, json=PHOTO)
    mocked_responses.get(
        f"{GRAPH_API}/{PHOTO['post_id']}",
        json=PERMALINK,
        match=[matchers.query_param_matcher({"fields": "permalink_url"})],
    )

    post = publish(post)

    sent = form(mocked_responses.calls[1])
    assert sent["url"] == ["https://cdn.quiz.example.com/tasks/5.png"]
    assert sent["caption"][0].startswith(post.task.question)
    assert f"{SITE_URL}/task/{post.task_id}" in sent["caption"][0]
    assert "message" not in sent
    assert "access_token" not in sent
    assert post.status == "published"
    assert post.post_id == PHOTO["post_id"]
    assert post.post_url == PERMALINK["permalink_url"]


@pytest.mark.parametrize(
    "image",
    [
        {"image_url": ""},
        {"image_url": "https://cdn.quiz.example.com/tall.png", "answer": picture(1000, 1500)},
        {"image_url": "https://cdn.quiz.example.com/gone.png", "answer": None},
    ],
    ids=["no-image", "wrong-shape", "404"],
)
def test_task_without_a_fitting_image_becomes_a_photo_post_of_its_card(
    mocked_responses, credential, image
):
    post = new_post("facebook", image_url=image["image_url"])
    if image["image_url"]:
        answer = image["answer"]
        mocked_responses.get(
            image["image_url"], **({"body": answer} if answer else {"status": 404})
        )
    mocked_responses.post(PHOTOS, json=PHOTO)
    mocked_responses.get(
        f"{GRAPH_API}/{PHOTO['post_id']}", json={"permalink_url": "https://fb/p/3"}
    )

    post = publish(post)

    photo = next(c for c in mocked_responses.calls if c.request.method == "POST")
    sent = form(photo)
    assert f"{SITE_URL}/task/{post.task_id}" in sent["caption"][0]
    card = stored_image(sent["url"][0])
    # The card has Facebook's 1.91:1 shape (scaled down in tests: see conftest._small_media).
    assert card.format == "PNG"
    assert card.size == (240, 124)
    assert post.status == "published"
    assert post.post_url == "https://fb/p/3"


@pytest.mark.parametrize("failure", [{"status": 500}, {"json": {"id": PHOTO["post_id"]}}])
def test_post_link_falls_back_when_permalink_is_unavailable(mocked_responses, credential, failure):
    mocked_responses.post(PHOTOS, json=PHOTO)
    mocked_responses.get(f"{GRAPH_API}/{PHOTO['post_id']}", **failure)

    post = publish(new_post("facebook"))

    assert post.status == "published"
    assert post.post_url == f"https://www.facebook.com/{PHOTO['post_id']}"


def test_photo_answer_without_post_id_uses_the_photo_id(mocked_responses, credential):
    mocked_responses.post(PHOTOS, json={"id": "555"})
    mocked_responses.get(f"{GRAPH_API}/555", json={"permalink_url": "https://fb/photo/555"})

    post = publish(new_post("facebook"))

    assert (post.status, post.post_id, post.post_url) == (
        "published",
        "555",
        "https://fb/photo/555",
    )


@pytest.mark.parametrize("code", [190, 102])
def test_token_errors_fail_and_flag_the_credential(mocked_responses, credential, code):
    error = load_fixture("facebook", f"error_{code}")
    mocked_responses.post(PHOTOS, status=400, json=error)

    post = publish(new_post("facebook"))

    assert post.status == "failed"
    assert post.failure_kind == "auth"
    assert error["error"]["message"] in post.error_message
    assert f"code {code}" in post.error_message
    credential.refresh_from_db()
    assert credential.needs_reconnect is True


def test_subcode_is_reported(mocked_responses, credential):
    mocked_responses.post(PHOTOS, status=400, json=load_fixture("facebook", "error_190"))

    post = publish(new_post("facebook"))

    assert "code 190/463" in post.error_message


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_throttling_codes_are_rate_limited(mocked_responses, credential, code):
    mocked_responses.post(PHOTOS, status=403, json=load_fixture("facebook", f"error_{code}"))

    post = publish(new_post("facebook"))

    assert post.status == "pending"
    assert post.failure_kind == "rate_limited"
    assert "exceeded the rate limit" in post.error_message


def test_business_use_case_usage_sets_the_wait(mocked_responses, credential):
    usage = {
        PAGE: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 12,
                "total_time": 20,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    mocked_responses.post(
        PHOTOS,
        status=400,
        json=load_fixture("facebook", "error_80001"),
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )

    with time_machine.travel(START, tick=False):
        post = publish(new_post("facebook"))

    assert post.status == "pending"
    assert post.next_attempt_at == START + timedelta(minutes=7)


@pytest.mark.parametrize("header", ["not json", "[]", '{"1": [{"type": "pages"}]}'])
def test_unusable_usage_header_falls_back_to_the_schedule(mocked_responses, credential, header):
    mocked_responses.post(
        PHOTOS,
        status=400,
        json=load_fixture("facebook", "error_4"),
        headers={"X-Business-Use-Case-Usage": header},
    )

    with time_machine.travel(START, tick=False):
        post = publish(new_post("facebook"))

    assert post.status == "pending"
    assert post.next_attempt_at is not None
    assert START + timedelta(seconds=24) <= post.next_attempt_at <= START + timedelta(seconds=36)


@pytest.mark.parametrize(("code", "status"), [(1, 500), (2, 503), (1, 400)])
def test_unknown_and_service_errors_are_transient(mocked_responses, credential, code, status):
    mocked_responses.post(PHOTOS, status=status, json=load_fixture("facebook", f"error_{code}"))

    post = publish(new_post("facebook"))

    assert post.status == "pending"
    assert post.failure_kind == "transient"
    assert post.needs_reconcile is False


@pytest.mark.parametrize("code", [100, 10, 200, 506])
def test_request_and_permission_errors_are_permanent(mocked_responses, credential, code):
    error = load_fixture("facebook", f"error_{code}")
    mocked_responses.post(PHOTOS, status=400 if code != 10 else 403, json=error)

    post = publish(new_post("facebook"))

    assert post.status == "failed"
    assert post.failure_kind == "permanent"
    assert error["error"]["message"] in post.error_message
    credential.refresh_from_db()
    assert credential.needs_reconnect is False


def test_user_facing_message_is_preferred(mocked_responses, credential):
    error = load_fixture("facebook", "error_100")
    error["error"]["error_user_msg"] = "The image URL could not be downloaded."
    mocked_responses.post(PHOTOS, status=400, json=error)

    post = publish(new_post("facebook"))

    assert "The image URL could not be downloaded." in post.error_message


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_without_envelope_are_transient(mocked_responses, credential, status):
    mocked_responses.post(PHOTOS, status=status, body="<html>Bad Gateway</html>")

    post = publish(new_post("facebook"))

    assert post.status == "pending"
    assert post.failure_kind == "transient"
    assert f"HTTP {status}" in post.error_message


def test_appsecret_proof_is_sent_when_the_app_secret_is_set(mocked_responses, credential, settings):
    settings.FACEBOOK_APP_SECRET = "app-secret-for-tests"
    proof = hmac.new(b"app-secret-for-tests", TOKEN.encode(), hashlib.sha256).hexdigest()
    mocked_responses.post(PHOTOS, json=PHOTO)
    mocked_responses.get(
        f"{GRAPH_API}/{PHOTO['post_id']}",
        json=PERMALINK,
        match=[matchers.query_param_matcher({"fields": "permalink_url", "appsecret_proof": proof})],
    )

    post = publish(new_post("facebook"))

    assert form(mocked_responses.calls[0])["appsecret_proof"] == [proof]
    assert post.post_url == PERMALINK["permalink_url"]
    for call in mocked_responses.calls:
        assert TOKEN not in call.request.url
        assert "app-secret-for-tests" not in call.request.url
        assert "access_token" not in parse_qs(urlsplit(call.request.url).query)


def test_no_appsecret_proof_without_an_app_secret(mocked_responses, credential):
    mocked_responses.post(PHOTOS, json=PHOTO)
    mocked_responses.get(f"{GRAPH_API}/{PHOTO['post_id']}", json=PERMALINK)

    publish(new_post("facebook"))

    assert "appsecret_proof" not in form(mocked_responses.calls[0])
    assert "appsecret_proof" not in mocked_responses.calls[1].request.url


def test_reconcile_does_not_mistake_task_12_for_task_1(mocked_responses, credential):
    mocked_responses.post(PHOTOS, body=requests.ReadTimeout("slow"))
    with time_machine.travel(START, tick=False) as clock:
        post = publish(new_post("facebook"))
        other = f"Answer and explanation: {post.task.public_url}2"
        mocked_responses.get(
            PUBLISHED_POSTS, json={"data": [{"id": f"{PAGE}_9", "message": other}]}
        )
        mocked_responses.replace("POST", PHOTOS, json=PHOTO)
        mocked_responses.get(f"{GRAPH_API}/{PHOTO['post_id']}", json=PERMALINK)
        clock.shift(timedelta(seconds=40))
        post = publish(post)

    assert post.status == "published"
    assert post.post_id == PHOTO["post_id"]  # sent again, not matched to the other post


def test_credential_without_page_fails_clearly_without_calling_facebook(
    mocked_responses, credential
):
    credential.extra_data = {"board_id": "1"}
    credential.save()

    post = publish(new_post("facebook"))

    assert post.status == "failed"
    assert "page_id" in post.error_message
    assert len(mocked_responses.calls) == 0


@pytest.mark.parametrize(
    ("extra_data", "message"),
    [
        ({}, "Facebook needs"),
        ({"page_id": "quizsite"}, "only digits"),
        ({"page_id": "\u0661\u0660\u0664\u0665"}, "only digits"),  # Arabic-Indic digits
        ({"page_id": "104512345678901\u00b9"}, "only digits"),  # superscript one
        ({"page_id": "\uff11\uff10\uff14"}, "only digits"),  # fullwidth digits
        ({"page_id": "1045 1234"}, "only digits"),
        ({"page_id": "1045\u00a01234"}, "only digits"),  # no-break space inside
        ({"page_id": "104512345678901/feed"}, "only digits"),
    ],
)
def test_page_id_is_validated(extra_data, message):
    credential = FacebookCredentialsFactory.build(extra_data=extra_data)

    with pytest.raises(ValidationError) as error:
        credential.full_clean()

    assert message in str(error.value.message_dict["extra_data"])


@pytest.mark.parametrize("page_id", [PAGE, f" {PAGE} "])
def test_an_ascii_numeric_page_id_is_accepted(page_id):
    credential = FacebookCredentialsFactory.build(extra_data={"page_id": page_id})

    credential.full_clean()  # raises ValidationError if the page id is refused

    assert credential.extra_data["page_id"].strip() == PAGE


@pytest.mark.parametrize("answer", [[], ["104512345678901_1"], "id", {"id": None}])
def test_success_status_with_an_odd_answer_is_unknown(mocked_responses, credential, answer):
    mocked_responses.post(PHOTOS, json=answer)

    post = publish(new_post("facebook"))

    assert post.status == "pending"
    assert post.failure_kind == "unknown"
    assert post.error_message.startswith("Facebook: the answer has no post id")


# --- reconcile: following Graph's paging cursors ---------------------------------------


def _fb_post(number: int, *, message: str = "Another quiz", created="2026-03-02T09:00:10+0000"):
    return {"id": f"{PAGE}_{122100000000000000 + number}", "message": message,
            "created_time": created}  # fmt: skip


def _fb_page(rsps, posts, *, after: str | None = None, following: str | None = None) -> None:
    """One page of ``GET {page}/published_posts``, matched on its exact query."""
    query = {"fields": "id,message,permalink_url,created_time", "limit": "100"}
    query |= {"after": after} if after else {}
    paging: dict = {"cursors": {"before": "b", "after": following or "last"}}
    if following:
        paging["next"] = f"{PUBLISHED_POSTS}?limit=100&after={following}"
    rsps.get(
        PUBLISHED_POSTS,
        json={"data": posts, "paging": paging},
        match=[matchers.query_param_matcher(query)],
    )


def _unknown_fb_post(rsps, clock, *, resend: bool = True):
    """A post whose create timed out after sending. With ``resend=False`` no answer to a
    second create is registered, so a resend would fail the test as an unmatched call."""
    rsps.post(PHOTOS, body=requests.ReadTimeout("read timed out"))
    post = publish(new_post("facebook"))
    assert post.needs_reconcile is True
    rsps.remove("POST", PHOTOS)
    if resend:
        rsps.post(PHOTOS, json=PHOTO)
        rsps.get(f"{GRAPH_API}/{PHOTO['post_id']}", json=PERMALINK)
    clock.shift(timedelta(seconds=40))
    return post


def _fb_lookups(rsps) -> list[list[str] | None]:
    return [
        parse_qs(urlsplit(c.request.url).query).get("after")
        for c in rsps.calls
        if c.request.method == "GET" and "published_posts" in c.request.url
    ]


def test_reconcile_follows_paging_next_and_finds_the_post_on_a_later_page(
    mocked_responses, credential
):
    with time_machine.travel(START, tick=False) as clock:
        post = _unknown_fb_post(mocked_responses, clock, resend=False)
        ours = _fb_post(9, message=f"Quiz\n\n{post.task.public_url}")
        _fb_page(mocked_responses, [_fb_post(1), _fb_post(2)], following="c2")
        _fb_page(mocked_responses, [], after="c2", following="c3")  # Graph: an empty page
        _fb_page(mocked_responses, [ours], after="c3", following="c4")

        post = publish(post)

    assert post.status == "published"
    assert post.post_id == ours["id"]
    assert _fb_lookups(mocked_responses) == [None, ["c2"], ["c3"]]
    assert sum(1 for c in mocked_responses.calls if c.request.method == "POST") == 1


def test_reconcile_ends_without_paging_next_and_sends_again(mocked_responses, credential):
    with time_machine.travel(START, tick=False) as clock:
        post = _unknown_fb_post(mocked_responses, clock)
        _fb_page(mocked_responses, [_fb_post(1)], following="c2")
        _fb_page(mocked_responses, [_fb_post(2)], after="c2", following=None)  # cursors, no next

        post = publish(post)

    assert post.status == "published"
    assert post.post_id == PHOTO["post_id"]  # sent once more
    assert _fb_lookups(mocked_responses) == [None, ["c2"]]


def test_reconcile_stops_at_posts_older_than_the_post(mocked_responses, credential):
    with time_machine.travel(START, tick=False) as clock:
        post = _unknown_fb_post(mocked_responses, clock)
        old = "2026-02-27T10:00:00+0000"
        _fb_page(mocked_responses, [_fb_post(1, created=old), _fb_post(2, created=old)],
                 following="c2")  # fmt: skip

        post = publish(post)

    assert post.status == "published"
    assert _fb_lookups(mocked_responses) == [None]


def test_reconcile_reads_at_most_the_page_bound(mocked_responses, credential):
    with time_machine.travel(START, tick=False) as clock:
        post = _unknown_fb_post(mocked_responses, clock)
        _fb_page(mocked_responses, [_fb_post(0)], following="c1")
        # Exactly the bound's pages: a read past it is an unmatched call and fails the test.
        for number in range(1, MAX_LOOKUP_PAGES):
            _fb_page(mocked_responses, [_fb_post(number)], after=f"c{number}",
                     following=f"c{number + 1}")  # fmt: skip

        post = publish(post)

    assert len(_fb_lookups(mocked_responses)) == MAX_LOOKUP_PAGES
    assert post.status == "published"  # not found within the bound: sent once more
