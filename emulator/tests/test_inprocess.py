"""The emulator in-process (``emulator.testing``): the Python API tests and benchmarks use,
and the control-API additions behind it (stalls, counts, uniform latency)."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from emulator import state as state_module
from emulator.state import EmulatorState, FaultError
from emulator.testing import InProcessEmulator

PIN = {
    "board_id": "549755885175",
    "link": "https://quiz.example.com/task/1",
    "media_source": {"source_type": "image_url", "url": "https://cdn.example.com/1.png"},
}
AUTH = {"Authorization": "Bearer pina_test"}


@pytest.fixture
def emu():
    with InProcessEmulator(callback_delay=0) as emulator:
        yield emulator


def _pin(emu, timeout=5):
    # Pinterest downloads the picture: it must be one the emulator can fetch (its own).
    image = {"source_type": "image_url", "url": f"{emu.url}/images/quiz.png"}
    body = {**PIN, "media_source": image}
    return requests.post(f"{emu.pinterest_url}/pins", json=body, headers=AUTH, timeout=timeout)


def _board(emu):
    return requests.get(
        f"{emu.pinterest_url}/boards/{PIN['board_id']}/pins", headers=AUTH, timeout=5
    )


def test_serves_on_a_free_loopback_port_and_stops():
    emu = InProcessEmulator().start()
    other = InProcessEmulator().start()
    try:
        assert emu.url.startswith("http://127.0.0.1:") and emu.url != other.url
        assert requests.get(f"{emu.url}/_control/health", timeout=5).json() == {"status": "ok"}
    finally:
        emu.stop()
        other.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emu.url}/_control/health", timeout=2)
    emu.stop()  # a second stop is harmless


def test_faults_are_a_script_consumed_in_order(emu):
    emu.fault("pinterest", "status", status=500, on="create")
    emu.fault("pinterest", "rate_limit", retry_after=30, on="create")
    emu.fault("pinterest", "expired_token", on="create")

    answers = [_pin(emu) for _ in range(4)]

    assert [a.status_code for a in answers] == [500, 429, 401, 201]
    assert answers[1].headers["Retry-After"] == "30"
    assert answers[2].json() == {"code": 2, "message": "Authentication failed."}
    assert [pin["id"] for pin in emu.pins] == [answers[3].json()["id"]]
    assert emu.create_count("pinterest") == 4


def test_a_create_only_fault_leaves_other_requests_alone(emu):
    emu.fault("pinterest", "status", status=503, count=None, on="create")

    assert _board(emu).status_code == 200  # a GET on the same platform answers normally
    assert _pin(emu).status_code == 503
    assert _pin(emu).status_code == 503  # until reset
    emu.reset()
    assert _pin(emu).status_code == 201


def test_the_python_api_refuses_what_the_control_api_refuses(emu):
    with pytest.raises(FaultError, match="process must be one of"):
        emu.fault("pinterest", "timeout", process="sometimes")
    with pytest.raises(FaultError, match="on must be one of"):
        emu.fault("pinterest", "status", on="reads")
    answer = requests.post(
        f"{emu.url}/_control/faults",
        json={"platform": "pinterest", "fault": "timeout", "process": "later"},
        timeout=5,
    )
    assert answer.status_code == 400 and "process must be one of" in answer.json()["error"]
    assert emu.state.faults == []


def test_timeout_processed_before_the_stall_creates_the_pin_the_client_never_hears_of(emu):
    emu.fault("pinterest", "timeout", seconds=30, process="before", on="create")

    with pytest.raises(requests.Timeout):
        _pin(emu, timeout=0.5)

    assert len(emu.pins) == 1  # it exists while the request still sits in the stall
    assert [item["id"] for item in _board(emu).json()["items"]] == [emu.pins[0]["id"]]
    emu.release()


def test_timeout_never_processed_creates_nothing(emu):
    emu.fault("pinterest", "timeout", seconds=30, process="never", on="create")
    answer: list[requests.Response] = []
    client = threading.Thread(target=lambda: answer.append(_pin(emu, timeout=10)))
    client.start()
    assert emu.wait_for_creates("pinterest", 1, timeout=5)

    started = time.monotonic()
    emu.release()
    client.join(5)

    assert time.monotonic() - started < 2  # released, not 30 s
    assert answer[0].status_code == 504
    assert emu.pins == []
    assert emu.create_count("pinterest") == 1


def test_timeout_processed_after_the_stall_by_default(emu):
    emu.fault("pinterest", "timeout", seconds=0.5)
    started = time.monotonic()
    answer = _pin(emu)
    assert answer.status_code == 201
    assert time.monotonic() - started >= 0.5
    assert len(emu.pins) == 1


def test_a_held_request_answers_normally_once_released(emu):
    emu.fault("pinterest", "timeout", seconds=30, process="before")
    answer: list[requests.Response] = []
    client = threading.Thread(target=lambda: answer.append(_pin(emu, timeout=10)))
    client.start()
    assert emu.wait_for_creates("pinterest", timeout=5)
    assert client.is_alive()  # held

    emu.release()
    client.join(5)

    assert answer[0].status_code == 201
    assert answer[0].json()["id"] == emu.pins[0]["id"]


def test_stopping_answers_a_stalled_request():
    emu = InProcessEmulator().start()
    # A Facebook feed post: nothing for the emulator to download once it has stopped.
    emu.fault("facebook", "timeout", seconds=30, process="before")
    answer: list[requests.Response] = []

    def feed_post() -> None:
        answer.append(
            requests.post(
                f"{emu.facebook_url}/104/feed", data={"message": "m"}, headers=AUTH, timeout=10
            )
        )

    client = threading.Thread(target=feed_post)
    client.start()
    assert emu.wait_for_creates("facebook", timeout=5)
    emu.stop()
    client.join(5)
    assert not client.is_alive()
    assert answer and answer[0].status_code == 200


def test_wait_for_creates_times_out(emu):
    started = time.monotonic()
    assert emu.wait_for_creates("facebook", 1, timeout=0.3) is False
    assert time.monotonic() - started >= 0.3


def test_counts_every_create_per_platform_beyond_the_request_log(emu, monkeypatch):
    monkeypatch.setattr(state_module, "MAX_RECORDS", 3)
    for _ in range(4):
        assert _pin(emu).status_code == 201
    _board(emu)
    page = f"{emu.facebook_url}/104"
    requests.post(
        f"{page}/photos", data={"url": "https://e.com/1.png", "access_token": "t"}, timeout=5
    )
    requests.post(f"{page}/feed", data={"message": "m", "access_token": "t"}, timeout=5)
    requests.get(f"{page}_1", params={"access_token": "t"}, timeout=5)
    for _ in range(2):  # the same delivery twice: received twice, published once
        requests.post(
            emu.hook_url("demo"),
            json={"task_id": 1, "platform": "tiktok"},
            headers={"webhook-id": "msg_1"},
            timeout=5,
        )

    assert len(emu.requests()) == 3  # the log is trimmed ...
    native = {"instagram": 0, "youtube": 0, "tiktok": 0, "telegram": 0, "vk": 0}
    assert emu.create_counts() == {"pinterest": 4, "facebook": 2, "make": 2, **native}  # ... not
    counts = requests.get(f"{emu.url}/_control/counts", timeout=5).json()["counts"]
    assert counts["pinterest"] == {"requests": 5, "creates": 4}
    assert counts["facebook"] == {"requests": 3, "creates": 2}
    assert len(emu.make_posts) == 1
    emu.reset()
    assert emu.create_counts() == {"pinterest": 0, "facebook": 0, "make": 0, **native}


def test_requests_are_filtered_by_platform_method_and_path(emu):
    _pin(emu)
    _board(emu)
    requests.post(emu.hook_url("demo"), json={"task_id": 1, "platform": "tiktok"}, timeout=5)

    assert [r["method"] for r in emu.requests("pinterest")] == ["POST", "GET"]
    assert [r["path"] for r in emu.requests("pinterest", method="GET", path="/boards/")] == [
        f"/pinterest/v5/boards/{PIN['board_id']}/pins"
    ]
    assert [r["path"] for r in emu.creates("make")] == ["/make/demo"]
    # Without a callback URL the scenario records at once that it could not call back.
    assert emu.callbacks[0]["error"].startswith("no callback URL")


def test_uniform_latency_delays_every_platform_answer_not_the_control_api():
    with InProcessEmulator(latency_ms=300) as emu:
        started = time.monotonic()
        requests.get(f"{emu.url}/_control/state", timeout=5)
        assert time.monotonic() - started < 0.3
        started = time.monotonic()
        assert _pin(emu).status_code == 201
        assert time.monotonic() - started >= 0.3
        emu.set_latency(0)
        started = time.monotonic()
        _pin(emu)
        assert time.monotonic() - started < 0.3


def test_latency_through_the_control_api(emu):
    url = f"{emu.url}/_control/config"
    assert requests.post(url, json={"latency_ms": 250}, timeout=5).json()["latency_ms"] == 250
    assert emu.state.latency_ms == 250
    refused = requests.post(url, json={"latency_ms": -1}, timeout=5)
    assert refused.status_code == 400 and "latency_ms" in refused.json()["error"]
    assert requests.post(url, json={"latency_ms": "fast"}, timeout=5).status_code == 400
    assert emu.state.latency_ms == 250


def test_release_through_the_control_api(emu):
    emu.fault("pinterest", "timeout", seconds=30, process="never")
    answer: list[requests.Response] = []
    client = threading.Thread(target=lambda: answer.append(_pin(emu, timeout=10)))
    client.start()
    assert emu.wait_for_creates("pinterest", timeout=5)
    assert requests.post(f"{emu.url}/_control/release", timeout=5).status_code == 200
    client.join(5)
    assert answer[0].status_code == 504


def test_make_callback_faults_hit_deliveries(emu):
    emu.fault("make", "callback_failed")
    emu.fault("make", "no_callback")
    for task_id in (1, 2, 3):
        # Dzen: a platform the scenario checks no video for.
        body = {"task_id": task_id, "platform": "yandex_dzen"}
        requests.post(emu.hook_url("h"), json=body, timeout=5)
    received = [entry["payload"] for entry in emu.callbacks]
    assert [(p["task_id"], p["status"]) for p in received] == [(1, "failed"), (3, "published")]


def test_a_release_reaches_a_request_whose_stall_had_not_begun_yet():
    state = EmulatorState()
    arrived = state.release_generation()
    state.release_stalls()  # released between its arrival and its stall
    started = time.monotonic()
    state.stall(30, arrived)
    assert time.monotonic() - started < 1
    started = time.monotonic()
    state.stall(0.2, state.release_generation())  # a later request stalls again
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("check_media", [True, False])
def test_media_checks_can_be_left_to_the_benchmarks_platform_side(check_media):
    """With ``check_media=False`` (the throughput benchmarks) an image the emulator cannot
    fetch is taken as valid: no download or probe runs on the measured machine."""
    unreachable = {"source_type": "image_url", "url": "http://127.0.0.1:9/missing.png"}
    with InProcessEmulator(check_media=check_media) as emu:
        pin = requests.post(
            f"{emu.pinterest_url}/pins",
            json={**PIN, "media_source": unreachable},
            headers=AUTH,
            timeout=5,
        )
        photo = requests.post(
            f"{emu.facebook_url}/104512345678901/photos",
            data={"url": unreachable["url"], "caption": "Q?", "access_token": "EAAB" + "x" * 40},
            timeout=5,
        )
    if check_media:
        assert pin.status_code == 400 and "could not fetch" in pin.text
        assert photo.status_code == 400
    else:
        assert pin.status_code == 201, pin.text
        assert photo.status_code == 200, photo.text
