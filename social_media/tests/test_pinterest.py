"""Pinterest API v5: create a pin, judged at the HTTP boundary."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.exceptions import ValidationError
from django.utils import translation
from responses import matchers

from social_media import delivery
from social_media.platforms.lookup import MAX_LOOKUP_PAGES
from social_media.platforms.pinterest.client import board_of
from social_media.tests.contract import (
    PINTEREST_API,
    SITE_URL,
    START,
    PlatformContract,
    load_fixture,
    new_post,
    picture,
    publish,
    stored_image,
)
from tests.factories import PinterestCredentialsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the site's default language is Russian."""
    with translation.override("en"):
        yield


TOKEN = "pina_TESTTOKENpinterest0123456789"
BOARD = "549755885175"
PINS = f"{PINTEREST_API}/pins"
BOARD_PINS = f"{PINTEREST_API}/boards/{BOARD}/pins"
PIN = load_fixture("pinterest", "pin_created")


class TestPinterestContract(PlatformContract):
    platform = "pinterest"
    token = TOKEN

    def make_credential(self, **fields):
        return PinterestCredentialsFactory(access_token=TOKEN, **fields)

    def publish_url(self, credential):
        return PINS

    def register_success(self, rsps, credential):
        rsps.post(PINS, status=201, json=PIN)
        return PIN["id"], f"https://www.pinterest.com/pin/{PIN['id']}/"

    def lookup_url(self, credential):
        return BOARD_PINS

    def register_lookup(self, rsps, credential, task, found):
        items = load_fixture("pinterest", "board_pins_other")["items"]
        if found:
            items.insert(0, {"id": found, "link": task.public_url, "board_id": BOARD})
        rsps.get(
            BOARD_PINS,
            json={"items": items, "bookmark": None},
            match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})],
        )
        return (found, f"https://www.pinterest.com/pin/{found}/") if found else None

    def auth_error(self):
        return 401, load_fixture("pinterest", "error_401")


@pytest.fixture
def credential(settings):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    return PinterestCredentialsFactory(access_token=TOKEN)


@pytest.fixture
def clock():
    import time_machine

    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("status", [200, 201])
def test_both_success_statuses_store_pin_id_and_url(mocked_responses, credential, status):
    mocked_responses.post(PINS, status=status, json={"id": "42"})

    post = publish(new_post("pinterest"))

    assert post.status == "published"
    assert post.post_id == "42"
    assert post.post_url == "https://www.pinterest.com/pin/42/"


def test_request_body_has_the_pin_create_shape(mocked_responses, credential):
    post = new_post(
        "pinterest",
        question="What does print(len('abc')) output?",
        answers=["3", "abc", "error"],
        topic="Python",
        image_url="https://cdn.quiz.example.com/tasks/7.png",
        language="en",
    )
    mocked_responses.get("https://cdn.quiz.example.com/tasks/7.png", body=picture(600, 900))
    link = f"{SITE_URL}/task/{post.task_id}"
    expected = {
        "board_id": BOARD,
        "title": "Python Quiz: What does print(len('abc')) output?",
        "description": (
            "What does print(len('abc')) output?\n\nOptions:\nA) 3\nB) abc\nC) error"
            f"\n\nAnswer and explanation: {link}\n\n#python #programming #coding #quiz"
        ),
        "link": link,
        "alt_text": "What does print(len('abc')) output?",
        "media_source": {
            "source_type": "image_url",
            "url": "https://cdn.quiz.example.com/tasks/7.png",
        },
    }
    mocked_responses.post(
        PINS,
        status=201,
        json=PIN,
        match=[
            matchers.json_params_matcher(expected),
            matchers.header_matcher(
                {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
            ),
        ],
    )

    assert publish(post).status == "published"


def test_long_cyrillic_texts_fit_pinterest_limits_counted_in_characters(
    mocked_responses, credential
):
    mocked_responses.post(PINS, status=201, json=PIN)
    question = "Ж" * 1200  # 2400 bytes in UTF-8, 1200 characters
    post = new_post("pinterest", question=question, language="ru", topic="Питон")

    publish(post)

    sent = json.loads(mocked_responses.calls[0].request.body)
    assert len(sent["title"]) == 100
    assert sent["title"].startswith("Квиз по теме «Питон»: ЖЖЖ")
    assert sent["title"].endswith("…")
    assert len(sent["description"]) <= 800
    assert len(sent["description"]) > 700  # the room is used, not halved by byte counting
    assert sent["description"].endswith(
        f"Ответ и объяснение: {SITE_URL}/task/{post.task_id}\n\n#питон #программирование #квиз "
        "#викторина"
    )
    assert sent["alt_text"] == "Ж" * 499 + "…"


@pytest.mark.parametrize(
    ("status", "fixture", "text"),
    [
        (400, "error_400", "Invalid parameters. 'media_source.url' is not a valid image URL."),
        (403, "error_403", "api-sandbox.pinterest.com"),
        (404, "error_404", "Board not found."),
    ],
)
def test_client_errors_fail_at_once_with_pinterests_message(
    mocked_responses, credential, status, fixture, text
):
    mocked_responses.post(PINS, status=status, json=load_fixture("pinterest", fixture))

    post = publish(new_post("pinterest"))

    assert post.status == "failed"
    assert post.failure_kind == "permanent"
    assert post.retry_count == 1
    assert post.next_attempt_at is None
    assert text in post.error_message
    assert f"HTTP {status}" in post.error_message
    credential.refresh_from_db()
    assert credential.needs_reconnect is False


def test_unauthorized_flags_the_credential(mocked_responses, credential):
    mocked_responses.post(PINS, status=401, json=load_fixture("pinterest", "error_401"))

    post = publish(new_post("pinterest"))

    assert post.status == "failed"
    assert "Authentication failed." in post.error_message
    credential.refresh_from_db()
    assert credential.needs_reconnect is True


def test_rate_limit_waits_for_retry_after(mocked_responses, credential, clock):
    mocked_responses.post(
        PINS,
        status=429,
        json=load_fixture("pinterest", "error_429"),
        headers={"Retry-After": "100"},
    )
    post = publish(new_post("pinterest"))
    assert post.status == "pending"
    assert post.failure_kind == "rate_limited"
    assert post.next_attempt_at == START + timedelta(seconds=100)

    clock.shift(timedelta(seconds=99))
    assert delivery.post_publish(post_id=post.pk) is None
    assert len(mocked_responses.calls) == 1

    mocked_responses.replace("POST", PINS, status=201, json=PIN)
    clock.shift(timedelta(seconds=2))
    post = publish(post)
    assert post.status == "published"
    assert post.retry_count == 1
    assert len(mocked_responses.calls) == 2


def test_rate_limit_without_retry_after_uses_the_schedule(mocked_responses, credential, clock):
    mocked_responses.post(PINS, status=429, json=load_fixture("pinterest", "error_429"))

    post = publish(new_post("pinterest"))

    assert post.status == "pending"
    assert post.next_attempt_at is not None
    assert START + timedelta(seconds=24) <= post.next_attempt_at <= START + timedelta(seconds=36)


def test_spam_block_429_is_permanent(mocked_responses, credential):
    mocked_responses.post(
        PINS,
        status=429,
        json=load_fixture("pinterest", "error_429_spam"),
        headers={"Retry-After": "60"},
    )

    post = publish(new_post("pinterest"))

    assert post.status == "failed"
    assert post.failure_kind == "permanent"
    assert "looks like spam" in post.error_message


def test_server_error_keeps_pinterests_message_and_retries(mocked_responses, credential):
    mocked_responses.post(PINS, status=500, json=load_fixture("pinterest", "error_500"))

    post = publish(new_post("pinterest"))

    assert post.status == "pending"
    assert "Something went wrong on our end" in post.error_message


@pytest.mark.parametrize(
    ("image_url", "answer"),
    [
        ("", None),
        ("https://cdn.quiz.example.com/t.png", {"status": 404}),
        ("https://cdn.quiz.example.com/t.png", {"body": "<html>Hi</html>"}),
        ("https://cdn.quiz.example.com/t.png", {"body": picture(800, 800)}),
        (
            "https://cdn.quiz.example.com/t.png",
            {"body": b"x", "headers": {"Content-Length": "30000000"}},
        ),
    ],
    ids=["no-image", "404", "html", "square", "huge"],
)
def test_task_without_a_fitting_image_pins_its_generated_card(
    mocked_responses, credential, image_url, answer
):
    if answer:
        mocked_responses.get(image_url, **answer)
    mocked_responses.post(PINS, status=201, json=PIN)

    post = publish(new_post("pinterest", image_url=image_url))

    assert post.status == "published"
    sent = json.loads(
        next(c for c in mocked_responses.calls if c.request.method == "POST").request.body
    )
    card = stored_image(sent["media_source"]["url"])
    assert card.format == "PNG"
    assert card.size == (200, 300)  # Pinterest's 2:3, scaled down in tests


def test_credential_without_board_fails_clearly_without_calling_pinterest(
    mocked_responses, credential
):
    credential.extra_data = {}
    credential.save()

    post = publish(new_post("pinterest"))

    assert post.status == "failed"
    assert post.failure_kind == "permanent"
    assert "board_id" in post.error_message
    assert len(mocked_responses.calls) == 0


@pytest.mark.parametrize(
    ("extra_data", "message"),
    [
        ({}, "Pinterest needs"),
        ({"board_id": "  "}, "Pinterest needs"),
        ({"board_id": "my-board"}, "only digits"),
        ({"board_id": "https://www.pinterest.com/quiz/python/"}, "only digits"),
        # str.isdigit() takes these; Pinterest's ids are ASCII digits (pattern ^\d+$).
        ({"board_id": "\u0665\u0664\u0669\u0667\u0665\u0665"}, "only digits"),  # Arabic-Indic
        ({"board_id": "549755\u00b2"}, "only digits"),  # superscript two
        ({"board_id": "\uff15\uff14\uff19"}, "only digits"),  # fullwidth
        ({"board_id": "\u09eb\u09ea\u09ef"}, "only digits"),  # Bengali
        ({"board_id": "549755 885175"}, "only digits"),
        ({"board_id": "549755\t885175"}, "only digits"),
        ({"board_id": "549755\n885175"}, "only digits"),
        ({"board_id": "-549755885175"}, "only digits"),
        ({"board_id": "+549755885175"}, "only digits"),
    ],
)
def test_board_id_is_validated(extra_data, message):
    credential = PinterestCredentialsFactory.build(extra_data=extra_data)

    with pytest.raises(ValidationError) as error:
        credential.full_clean()

    assert message in str(error.value.message_dict["extra_data"])


@pytest.mark.parametrize("board_id", [BOARD, int(BOARD), f" {BOARD} "])
def test_numeric_board_id_is_accepted_and_used_as_digits(board_id):
    credential = PinterestCredentialsFactory.build(extra_data={"board_id": board_id})

    credential.full_clean()  # raises ValidationError if the board id is refused

    assert board_of(credential) == BOARD


# --- reconcile: following the board's bookmark -----------------------------------------

RECENT = "2026-03-02T09:00:10"  # seconds after the post was created (START)
OLD = "2026-03-01T08:00:00"  # a day before: cannot be the post's pin


def _pin(number: int, *, link: str = "https://quiz.example.com/task/999999", created=RECENT):
    return {"id": str(813744226420790100 + number), "link": link, "board_id": BOARD,
            "created_at": created}  # fmt: skip


def _page(rsps, pins, *, bookmark: str | None = None, following: str | None = None) -> None:
    """One page of ``GET boards/{id}/pins``, matched on its exact query."""
    query = {"page_size": "100"} | ({"bookmark": bookmark} if bookmark else {})
    rsps.get(
        BOARD_PINS,
        json={"items": pins, "bookmark": following},
        match=[matchers.query_param_matcher(query)],
    )


def _unknown_post(rsps, clock, *, resend: bool = True):
    """A post whose create timed out after sending: the next attempt looks first. With
    ``resend=False`` a second create has no answer: it would fail the test as unmatched."""
    rsps.post(PINS, body=requests.ReadTimeout("read timed out"))
    post = publish(new_post("pinterest"))
    assert post.needs_reconcile is True
    rsps.remove("POST", PINS)
    if resend:
        rsps.post(PINS, status=201, json=PIN)  # what a resend would get
    clock.shift(timedelta(seconds=40))
    return post


def _lookups(rsps) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(c.request.url).query) for c in rsps.calls if c.request.method == "GET"
    ]


def _creates(rsps) -> int:
    return sum(1 for c in rsps.calls if c.request.method == "POST")


def test_reconcile_follows_bookmarks_and_finds_the_pin_on_a_later_page(
    mocked_responses, credential, clock
):
    post = _unknown_post(mocked_responses, clock, resend=False)
    ours = _pin(99, link=post.task.public_url)
    _page(mocked_responses, [_pin(1), _pin(2)], following="bm-2")
    _page(mocked_responses, [_pin(3)], bookmark="bm-2", following="bm-3")
    _page(mocked_responses, [_pin(4), ours], bookmark="bm-3", following="bm-4")

    post = publish(post)

    assert post.status == "published"
    assert post.post_id == ours["id"]
    assert _creates(mocked_responses) == 1  # found, not sent again
    assert [q.get("bookmark") for q in _lookups(mocked_responses)] == [None, ["bm-2"], ["bm-3"]]
    assert list(post.attempts.values_list("kind", "outcome")) == [
        ("publish", "unknown"),
        ("reconcile", "success"),
    ]


def test_reconcile_stops_where_the_bookmark_is_null_and_sends_again(
    mocked_responses, credential, clock
):
    post = _unknown_post(mocked_responses, clock)
    _page(mocked_responses, [_pin(1)], following="bm-2")
    _page(mocked_responses, [_pin(2)], bookmark="bm-2", following=None)

    post = publish(post)

    assert post.status == "published"
    assert post.post_id == PIN["id"]  # not on the board: created once more
    assert len(_lookups(mocked_responses)) == 2
    assert _creates(mocked_responses) == 2


def test_reconcile_stops_at_a_page_older_than_the_post(mocked_responses, credential, clock):
    post = _unknown_post(mocked_responses, clock)
    _page(mocked_responses, [_pin(1), _pin(2, created=OLD)], following="bm-2")  # mixed: go on
    _page(mocked_responses, [_pin(3, created=OLD), _pin(4, created=f"{OLD}Z")],
          bookmark="bm-2", following="bm-3")  # fmt: skip
    # Page 3 (which would hold a pin with the post's link) is never registered: asking for it
    # would be an unmatched call.

    post = publish(post)

    assert post.status == "published"
    assert post.post_id == PIN["id"]
    assert len(_lookups(mocked_responses)) == 2  # page 3 is never asked for


def test_reconcile_reads_at_most_the_page_bound_then_sends_again(
    mocked_responses, credential, clock, caplog
):
    post = _unknown_post(mocked_responses, clock)
    _page(mocked_responses, [_pin(0)], following="bm-1")
    # An endless board of recent pins, registered up to the bound: one more read is unmatched.
    for number in range(1, MAX_LOOKUP_PAGES):
        _page(mocked_responses, [_pin(number)], bookmark=f"bm-{number}",
              following=f"bm-{number + 1}")  # fmt: skip

    with caplog.at_level(logging.WARNING):
        post = publish(post)

    assert len(_lookups(mocked_responses)) == MAX_LOOKUP_PAGES
    assert post.status == "published"  # handled as "not found": sent once more
    assert _creates(mocked_responses) == 2
    assert f"не найден на {MAX_LOOKUP_PAGES} страницах" in caplog.text


def test_a_failed_page_keeps_looking_before_any_resend(mocked_responses, credential, clock):
    post = _unknown_post(mocked_responses, clock, resend=False)
    _page(mocked_responses, [_pin(1)], following="bm-2")
    mocked_responses.get(
        BOARD_PINS,
        status=502,
        body="Bad Gateway",
        match=[matchers.query_param_matcher({"page_size": "100", "bookmark": "bm-2"})],
    )

    post = publish(post)

    assert (post.status, post.needs_reconcile) == ("pending", True)
    assert _creates(mocked_responses) == 1


def test_a_bookmark_that_repeats_ends_the_lookup(mocked_responses, credential, clock):
    post = _unknown_post(mocked_responses, clock)
    _page(mocked_responses, [_pin(1)], following="bm-2")
    _page(mocked_responses, [_pin(2)], bookmark="bm-2", following="bm-2")

    post = publish(post)

    assert len(_lookups(mocked_responses)) == 2
    assert post.status == "published"
