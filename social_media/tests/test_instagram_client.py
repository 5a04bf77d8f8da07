"""Instagram Graph client: endpoints, answers and the mapping of Graph errors to outcomes,
judged at the HTTP boundary (``responses``)."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests
from responses import matchers

from social_media.http import ApiError
from social_media.platforms.base import Outcome
from social_media.platforms.facebook import conf as facebook_conf
from social_media.platforms.instagram import conf
from social_media.platforms.instagram.client import (
    DEFAULT_QUOTA_WAIT,
    SPAM_WAIT,
    GraphError,
    InstagramClient,
    status_subcode,
)
from social_media.tests.contract import GRAPH_API

TOKEN = "EAAB-test-instagram-page-token-0123"
IG_USER = "17841400000000001"
MEDIA = f"{GRAPH_API}/{IG_USER}/media"
PUBLISH = f"{GRAPH_API}/{IG_USER}/media_publish"
LIMIT = f"{GRAPH_API}/{IG_USER}/content_publishing_limit"


@pytest.fixture
def client(settings) -> InstagramClient:
    settings.INSTAGRAM_GRAPH_API_BASE_URL = GRAPH_API
    return InstagramClient(token=TOKEN)


def graph_error(code: int, subcode: int | None = None, **extra) -> dict:
    error = {"message": extra.pop("message", f"(#{code}) error"), "type": "OAuthException"}
    error["code"] = code
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    error["fbtrace_id"] = "Atrace"
    return {"error": error}


def raised(call) -> GraphError:
    with pytest.raises(ApiError) as caught:
        call()
    assert isinstance(caught.value, GraphError)
    return caught.value


def form(call) -> dict[str, list[str]]:
    body = call.request.body
    return parse_qs(body.decode() if isinstance(body, bytes) else body)


def test_the_default_base_url_is_facebooks_graph_version_url():
    defaults = {s.name: s.default for s in (*conf.SETTINGS, *facebook_conf.SETTINGS)}
    assert defaults["INSTAGRAM_GRAPH_API_BASE_URL"] == defaults["FACEBOOK_GRAPH_API_BASE_URL"]


def test_the_base_url_setting_is_read_when_the_client_is_made(settings):
    settings.INSTAGRAM_GRAPH_API_BASE_URL = "http://127.0.0.1:8025/instagram/v26.0"

    assert InstagramClient(token=TOKEN).base_url == "http://127.0.0.1:8025/instagram/v26.0"


def test_a_container_is_created_with_a_form_and_the_token_in_the_header(mocked_responses, client):
    mocked_responses.post(
        MEDIA,
        json={"id": "17890000000000001"},
        match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})],
    )

    container = client.create_container(
        ig_user_id=IG_USER, image_url="https://cdn.example.com/q.jpg", caption="Quiz"
    )

    assert container == "17890000000000001"
    sent = form(mocked_responses.calls[0])
    assert sent == {"image_url": ["https://cdn.example.com/q.jpg"], "caption": ["Quiz"]}
    assert TOKEN not in mocked_responses.calls[0].request.url


@pytest.mark.parametrize("answer", [{}, {"id": ""}, {"id": None}, [], {"id": True}])
def test_a_container_answer_without_an_id_is_transient(mocked_responses, client, answer):
    # A container nobody publishes is invisible: creating another one is safe.
    mocked_responses.post(MEDIA, json=answer)

    error = raised(lambda: client.create_container(ig_user_id=IG_USER, image_url="x"))

    assert error.outcome == Outcome.TRANSIENT
    assert "no id" in error.message


def test_container_status_is_read_with_its_fields(mocked_responses, client):
    mocked_responses.get(
        f"{GRAPH_API}/178900001",
        json={"status_code": "ERROR", "status": "Error: … error code 2207026", "id": "178900001"},
        match=[matchers.query_param_matcher({"fields": "status_code,status"})],
    )

    code, status = client.container_status(container_id="178900001")

    assert code == "ERROR"
    assert status_subcode(status) == 2207026


@pytest.mark.parametrize(
    ("status", "subcode"),
    [
        ("Error: Media upload has failed with error code 2207026", 2207026),
        ("Finished: Media has been uploaded", None),
        ("", None),
        ("code 12207026x", None),
    ],
)
def test_the_subcode_is_read_from_a_status_text(status, subcode):
    assert status_subcode(status) == subcode


def test_media_publish_sends_the_creation_id(mocked_responses, client):
    mocked_responses.post(
        PUBLISH,
        json={"id": "17900000000000002"},
        match=[matchers.urlencoded_params_matcher({"creation_id": "178900001"})],
    )

    assert client.media_publish(ig_user_id=IG_USER, creation_id="178900001") == "17900000000000002"


def test_the_publishing_limit_is_read_with_its_config(mocked_responses, client):
    mocked_responses.get(
        LIMIT,
        json={"data": [{"quota_usage": 7, "config": {"quota_total": 50, "quota_duration": 86400}}]},
        match=[matchers.query_param_matcher({"fields": "config,quota_usage"})],
    )

    limit = client.publishing_limit(ig_user_id=IG_USER)

    assert (limit.usage, limit.total, limit.duration) == (7, 50, 86400)


@pytest.mark.parametrize(
    "answer",
    [
        {"data": []},
        {"data": [{"quota_usage": "7"}]},
        {"data": [{"quota_usage": -1, "config": "x"}]},
        {"data": "junk"},
        {},
        {"data": [{"quota_usage": 2, "config": {"quota_total": True, "quota_duration": None}}]},
    ],
)
def test_an_odd_publishing_limit_answer_reads_as_unknown_totals(mocked_responses, client, answer):
    mocked_responses.get(LIMIT, json=answer)

    limit = client.publishing_limit(ig_user_id=IG_USER)

    assert limit.total is None and limit.duration is None
    assert limit.usage in (0, 2)


def test_recent_media_follows_the_cursor_only_while_next_is_given(mocked_responses, client):
    mocked_responses.get(
        MEDIA,
        json={
            "data": [{"id": "1", "caption": "a"}, "junk"],
            "paging": {"cursors": {"after": "C2"}, "next": f"{MEDIA}?after=C2"},
        },
        match=[
            matchers.query_param_matcher(
                {"fields": "id,caption,permalink,timestamp", "limit": "50"}
            )
        ],
    )
    mocked_responses.get(
        MEDIA,
        json={"data": [{"id": "2"}], "paging": {"cursors": {"after": "C3"}}},
        match=[matchers.query_param_matcher({"after": "C2"}, strict_match=False)],
    )

    first, following = client.recent_media(ig_user_id=IG_USER)
    second, last = client.recent_media(ig_user_id=IG_USER, after=following)

    assert [m["id"] for m in first] == ["1"] and following == "C2"
    assert [m["id"] for m in second] == ["2"] and last == ""


def test_media_insights_asks_for_the_metrics(mocked_responses, client):
    mocked_responses.get(
        f"{GRAPH_API}/179000001/insights",
        json={"data": [{"name": "views", "values": [{"value": 5}]}, "junk"]},
        match=[matchers.query_param_matcher({"metric": "views,likes"})],
    )

    data = client.media_insights(media_id="179000001", metrics=("views", "likes"))

    assert data == [{"name": "views", "values": [{"value": 5}]}]


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "subcode", "outcome"),
    [
        (190, 463, Outcome.AUTH),  # expired token
        (190, None, Outcome.AUTH),
        (102, None, Outcome.AUTH),
        (25, 2207050, Outcome.AUTH),  # account restricted: the user must sign in
        (4, None, Outcome.RATE_LIMITED),
        (17, None, Outcome.RATE_LIMITED),
        (32, None, Outcome.RATE_LIMITED),
        (613, None, Outcome.RATE_LIMITED),
        (9, 2207042, Outcome.RATE_LIMITED),  # publishing quota
        (4, 2207051, Outcome.RATE_LIMITED),  # activity restricted (spam)
        (-2, 2207003, Outcome.TRANSIENT),  # media download timed out
        (-2, 2207020, Outcome.TRANSIENT),  # expired: new container
        (-1, 2207001, Outcome.TRANSIENT),
        (-1, 2207032, Outcome.TRANSIENT),
        (24, 2207008, Outcome.TRANSIENT),
        (9007, 2207027, Outcome.TRANSIENT),  # not ready
        (1, None, Outcome.TRANSIENT),
        (2, None, Outcome.TRANSIENT),
        (9004, 2207052, Outcome.PERMANENT),  # media could not be fetched
        (36000, 2207004, Outcome.PERMANENT),  # too large
        (36001, 2207005, Outcome.PERMANENT),  # format
        (36003, 2207009, Outcome.PERMANENT),  # aspect ratio
        (36004, 2207010, Outcome.PERMANENT),  # caption
        (352, 2207026, Outcome.PERMANENT),  # video format
        (100, 2207023, Outcome.PERMANENT),
        (100, 2207028, Outcome.PERMANENT),
        (24, 2207006, Outcome.PERMANENT),
        (100, None, Outcome.PERMANENT),
        (10, None, Outcome.PERMANENT),
    ],
)
def test_graph_codes_and_subcodes_map_to_outcomes(mocked_responses, client, code, subcode, outcome):
    mocked_responses.post(PUBLISH, status=400, json=graph_error(code, subcode))

    error = raised(lambda: client.media_publish(ig_user_id=IG_USER, creation_id="1"))

    assert error.outcome == outcome
    assert (error.code, error.subcode) == (code, subcode)
    assert error.http_status == 400
    expected = f"code {code}/{subcode}" if subcode else f"code {code}:"
    assert expected in error.message


def test_is_transient_marks_an_unknown_code_transient(mocked_responses, client):
    mocked_responses.post(PUBLISH, status=400, json=graph_error(12345, is_transient=True))

    error = raised(lambda: client.media_publish(ig_user_id=IG_USER, creation_id="1"))

    assert error.outcome == Outcome.TRANSIENT


def test_the_user_message_is_preferred_and_the_token_is_masked(mocked_responses, client):
    body = graph_error(
        36003,
        2207009,
        message="The submitted image with aspect ratio ('1:3') cannot be published.",
        error_user_msg=f"The aspect ratio is not supported. token {TOKEN}",
    )
    mocked_responses.post(MEDIA, status=400, json=body)

    error = raised(lambda: client.create_container(ig_user_id=IG_USER, image_url="x"))

    assert error.message.startswith("Instagram: HTTP 400, code 36003/2207009: The aspect ratio")
    assert TOKEN not in error.message
    assert TOKEN not in error.excerpt


def test_the_quota_error_waits_an_hour_without_a_retry_after(mocked_responses, client):
    mocked_responses.post(PUBLISH, status=400, json=graph_error(9, 2207042))

    error = raised(lambda: client.media_publish(ig_user_id=IG_USER, creation_id="1"))

    assert error.retry_after == DEFAULT_QUOTA_WAIT
    assert error.spam is False


def test_activity_restricted_is_spam_with_a_long_wait(mocked_responses, client):
    mocked_responses.post(MEDIA, status=400, json=graph_error(4, 2207051))

    error = raised(lambda: client.create_container(ig_user_id=IG_USER, image_url="x"))

    assert error.spam is True
    assert error.retry_after == SPAM_WAIT


def test_throttling_takes_retry_after_or_the_usage_header(mocked_responses, client):
    mocked_responses.post(MEDIA, status=400, json=graph_error(4), headers={"Retry-After": "17"})
    mocked_responses.post(
        MEDIA,
        status=400,
        json=graph_error(32),
        headers={"X-Business-Use-Case-Usage": '{"1784": [{"estimated_time_to_regain_access": 3}]}'},
    )
    mocked_responses.post(MEDIA, status=400, json=graph_error(17))

    waits = [
        raised(lambda: client.create_container(ig_user_id=IG_USER, image_url="x")).retry_after
        for _ in range(3)
    ]

    assert waits == [17.0, 180.0, None]


def test_http_429_without_an_envelope_is_rate_limited(mocked_responses, client):
    mocked_responses.get(LIMIT, status=429, body="Too Many Requests", headers={"Retry-After": "5"})

    error = raised(lambda: client.publishing_limit(ig_user_id=IG_USER))

    assert (error.outcome, error.retry_after, error.code) == (Outcome.RATE_LIMITED, 5.0, None)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (500, Outcome.TRANSIENT),
        (503, Outcome.TRANSIENT),
        (404, Outcome.PERMANENT),
        (401, Outcome.AUTH),
    ],
)
def test_answers_without_an_envelope_use_the_http_status(mocked_responses, client, status, outcome):
    mocked_responses.post(MEDIA, status=status, body="<html>oops</html>")

    error = raised(lambda: client.create_container(ig_user_id=IG_USER, image_url="x"))

    assert error.outcome == outcome
    assert f"HTTP {status}" in error.message


def test_a_5xx_in_the_graph_envelope_is_transient(mocked_responses, client):
    mocked_responses.post(MEDIA, status=500, json=graph_error(1, message="An unknown error"))

    error = raised(lambda: client.create_container(ig_user_id=IG_USER, image_url="x"))

    assert error.outcome == Outcome.TRANSIENT


def test_a_timeout_after_sending_is_unknown(mocked_responses, client):
    mocked_responses.post(PUBLISH, body=requests.ReadTimeout("slow"))

    with pytest.raises(ApiError) as caught:
        client.media_publish(ig_user_id=IG_USER, creation_id="1")

    assert caught.value.outcome == Outcome.UNKNOWN


def test_a_200_that_is_not_json_is_unknown(mocked_responses, client):
    mocked_responses.post(PUBLISH, body="<html>ok</html>")

    with pytest.raises(ApiError) as caught:
        client.media_publish(ig_user_id=IG_USER, creation_id="1")

    assert caught.value.outcome == Outcome.UNKNOWN


def test_instagram_tokens_are_masked_in_logs_and_messages():
    from quiz_backend.redaction import redact

    text = "token IGQVJWZAkZAGdfUXJ0aFQxbnlpNlZA2ZAU1 and IGAAB1234567890abcdefghijkl"

    masked = redact(text)

    assert "IGQVJWZAkZAGdfUXJ0aFQxbnlpNlZA2ZAU1" not in masked
    assert "IGAAB1234567890abcdefghijkl" not in masked
    assert masked.startswith("token IGQV")
