"""The Pinterest and Facebook stand-ins serve engagement that grows with a post's age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from emulator.testing import InProcessEmulator

AUTH = {"Authorization": "Bearer pina_test"}
BOARD = "549755885175"
PAGE = "104512345678901"
ALL_PIN_METRICS = "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,TOTAL_COMMENTS,TOTAL_REACTIONS"
FB_FIELDS = (
    "reactions.summary(total_count).limit(0),comments.summary(true).limit(0),shares,"
    "insights.metric(post_media_view,post_total_media_view_unique)"
)


@pytest.fixture
def emu():
    with InProcessEmulator(callback_delay=0) as emulator:
        yield emulator


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _pin(emu) -> str:
    body = {
        "board_id": BOARD,
        "link": "https://quiz.example.com/task/1",
        "media_source": {"source_type": "image_url", "url": f"{emu.url}/images/quiz.png"},
    }
    answer = requests.post(f"{emu.pinterest_url}/pins", json=body, headers=AUTH, timeout=5)
    assert answer.status_code == 201
    return answer.json()["id"]


def _analytics(emu, pin_id: str, **params: str) -> requests.Response:
    query = {"start_date": _today(), "end_date": _today(), "metric_types": ALL_PIN_METRICS}
    query.update(params)
    return requests.get(
        f"{emu.pinterest_url}/pins/{pin_id}/analytics", params=query, headers=AUTH, timeout=5
    )


def _advance(emu, seconds: float) -> None:
    answer = requests.post(
        f"{emu.url}/_control/config", json={"advance_engagement_seconds": seconds}, timeout=5
    )
    assert answer.status_code == 200


def test_pin_analytics_grow_with_the_pins_age(emu):
    pin_id = _pin(emu)
    first = _analytics(emu, pin_id).json()["all"]
    _advance(emu, 3600)
    later = _analytics(emu, pin_id).json()["all"]
    assert later["summary_metrics"]["IMPRESSION"] >= first["summary_metrics"]["IMPRESSION"] + 3600
    assert later["summary_metrics"]["SAVE"] == later["summary_metrics"]["IMPRESSION"] // 20
    assert later["summary_metrics"]["OUTBOUND_CLICK"] > first["summary_metrics"]["OUTBOUND_CLICK"]
    assert later["lifetime_metrics"]["TOTAL_REACTIONS"] > 0
    assert later["daily_metrics"][0]["data_status"] == "READY"
    assert set(later["summary_metrics"]) == {"IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK"}


def test_pin_analytics_refuse_what_pinterest_refuses(emu):
    pin_id = _pin(emu)
    old = (datetime.now(UTC).date() - timedelta(days=91)).isoformat()
    assert _analytics(emu, pin_id, start_date="").status_code == 400
    assert _analytics(emu, pin_id, start_date=old).status_code == 400
    refused = _analytics(emu, pin_id, metric_types="IMPRESSION,LIKES")
    assert refused.status_code == 400 and refused.json()["code"] == 1
    missing = _analytics(emu, "813744000000000999")
    assert missing.status_code == 404 and missing.json() == {
        "code": 50,
        "message": "Pin not found.",
    }
    no_token = requests.get(f"{emu.pinterest_url}/pins/{pin_id}/analytics", timeout=5)
    assert no_token.status_code == 401


def test_pin_analytics_take_the_platform_faults(emu):
    pin_id = _pin(emu)
    emu.fault("pinterest", "expired_token", path="/analytics")
    emu.fault("pinterest", "rate_limit", retry_after=60, path="/analytics")
    assert _analytics(emu, pin_id).status_code == 401
    limited = _analytics(emu, pin_id)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    assert _analytics(emu, pin_id).status_code == 200


def _fb_post(emu) -> str:
    answer = requests.post(
        f"{emu.facebook_url}/{PAGE}/feed",
        data={"message": "Quiz", "link": "https://quiz.example.com/task/1"},
        headers=AUTH,
        timeout=5,
    )
    assert answer.status_code == 200
    return answer.json()["id"]


def _fb_read(emu, ids: list[str], fields: str = FB_FIELDS) -> requests.Response:
    return requests.get(
        f"{emu.facebook_url}/",
        params={"ids": ",".join(ids), "fields": fields},
        headers=AUTH,
        timeout=5,
    )


def test_facebook_counts_and_insights_grow_by_multiple_id_read(emu):
    first_id, second_id = _fb_post(emu), _fb_post(emu)
    fresh = _fb_read(emu, [first_id, second_id]).json()
    assert set(fresh) == {first_id, second_id}
    assert "shares" not in fresh[first_id]  # Graph leaves out shares nobody made
    _advance(emu, 7200)
    grown = _fb_read(emu, [first_id]).json()[first_id]
    assert grown["reactions"]["summary"]["total_count"] >= 7200 // 12
    assert grown["comments"]["summary"]["total_count"] >= 7200 // 40
    assert grown["shares"]["count"] >= 7200 // 60
    insights = {item["name"]: item["values"][0]["value"] for item in grown["insights"]["data"]}
    assert insights["post_media_view"] >= 7200
    assert insights["post_total_media_view_unique"] == insights["post_media_view"] // 2


def test_facebook_multiple_id_read_refuses_unknown_ids_and_metrics(emu):
    post_id = _fb_post(emu)
    unknown = _fb_read(emu, [post_id, f"{PAGE}_1"])
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == 803
    bad_metric = _fb_read(emu, [post_id], "insights.metric(post_impressions)")
    assert bad_metric.status_code == 400 and bad_metric.json()["error"]["code"] == 100
    too_many = _fb_read(emu, [post_id] * 51)
    assert too_many.status_code == 400


def test_engagement_rate_is_configurable(emu):
    answer = requests.post(
        f"{emu.url}/_control/config", json={"engagement_rate": 0, "latency_ms": 0}, timeout=5
    )
    assert answer.json()["engagement_rate"] == 0
    pin_id = _pin(emu)
    _advance(emu, 86400)
    assert _analytics(emu, pin_id).json()["all"]["summary_metrics"]["IMPRESSION"] == 0
    bad = requests.post(f"{emu.url}/_control/config", json={"engagement_rate": -1}, timeout=5)
    assert bad.status_code == 400


def test_make_reports_growing_metrics_in_later_callbacks():
    from emulator.tests.helpers import Receiver

    receiver = Receiver()
    try:
        emu = _run_make_metrics(receiver.url)
    finally:
        receiver.close()
    first, *later = [entry["payload"] for entry in emu.callbacks[:3]]
    assert first["status"] == "published" and "metrics" not in first
    assert [c["status"] for c in later] == ["published", "published"]
    assert later[0]["post_id"] == first["post_id"]
    assert later[0]["metrics"]["views"] >= 60
    assert later[1]["metrics"]["views"] >= later[0]["metrics"]["views"]
    assert set(later[0]["metrics"]) == {"views", "engagements", "comments", "shares", "saves"}


def _run_make_metrics(callback_url: str) -> InProcessEmulator:
    with InProcessEmulator(callback_url=callback_url, callback_delay=0) as emu:
        answer = requests.post(
            f"{emu.url}/_control/config",
            json={
                "metrics_interval": 0.2,
                "metrics_callbacks": 2,
                "advance_engagement_seconds": 60,
            },
            timeout=5,
        )
        assert answer.json()["metrics_interval"] == 0.2
        delivery = {"task_id": 7, "platform": "yandex_dzen", "content": {}}  # no video to check
        assert requests.post(emu.hook_url("make"), json=delivery, timeout=5).status_code == 200
        assert emu.state.wait_for(lambda: len(emu.state.callbacks) >= 3, timeout=10)
    return emu
