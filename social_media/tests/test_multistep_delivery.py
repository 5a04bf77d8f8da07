"""Multi-step publishing: a post waiting on its platform is rescheduled, never slept on.

The platform here is a small two-step one (create a job, poll it, publish it) that
talks HTTP to a ``responses`` stub, as a container-based API does; what is under
test is the delivery pipeline: the waiting state, its deadline, resuming from the
stored state, reconciling by it, and the route chosen per target.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from social_media import delivery
from social_media.http import ApiClient, ApiError
from social_media.platforms.base import BasePlatform, Outcome, PublishResult
from social_media.platforms.registry import PLATFORMS
from social_media.platforms.spec import Route
from social_media.services import posts_retry
from social_media.tests.contract import SITE_URL, START, new_post, publish, reset_after_sending
from tasks.models import SocialMediaPost
from webhooks.models import SocialMediaCredentials, Webhook, WebhookType

pytestmark = pytest.mark.django_db

API = "https://api.stepper.example.test/v1"
TOKEN = "stepper-test-token-0123456789"
JOBS = f"{API}/jobs"


class StepperPlatform(BasePlatform):
    """Create a job, wait while it is ``processing``, then publish it."""

    key = "instagram"  # stands in for a container platform with both routes
    label = "Stepper"
    routes = (Route.WEBHOOK, Route.API)

    def _client(self, target: SocialMediaCredentials) -> ApiClient:
        return ApiClient(base_url=API, secrets=[target.access_token], platform_name="Stepper")

    def publish(self, post: SocialMediaPost, target: Any, media: Any) -> PublishResult:
        client = self._client(target)
        state = dict(post.platform_state)
        try:
            if "job" not in state:
                job = client.request("POST", "/jobs", json={"task": post.task_id})
                state = {"job": job["id"], "polls": 0}
                return PublishResult(
                    Outcome.WAITING, state=state, step="Stepper is processing", retry_after=2
                )
            job = client.request("GET", f"/jobs/{state['job']}")
            if job["status"] == "processing":
                state["polls"] += 1
                return PublishResult(
                    Outcome.WAITING,
                    state=state,
                    step=f"Stepper is processing (check {state['polls']})",
                    retry_after=2 ** state["polls"],
                    deadline_seconds=600,
                )
            if job["status"] == "error":
                return PublishResult(Outcome.PERMANENT, state={}, error_message="Stepper: error")
            done = client.request("POST", f"/jobs/{state['job']}/publish")
        except ApiError as error:
            return replace(error.to_result(), state=state)
        return PublishResult(
            Outcome.SUCCESS,
            post_id=done["media_id"],
            post_url=f"https://stepper.example.test/p/{done['media_id']}",
            state=state,
            notice="Made private by the platform." if done.get("private") else "",
        )

    def reconcile(self, post: SocialMediaPost, target: Any) -> PublishResult | None:
        job_id = post.platform_state.get("job")
        if not job_id:
            return None
        try:
            job = self._client(target).request("GET", f"/jobs/{job_id}")
        except ApiError as error:
            return error.to_result()
        if job.get("media_id"):
            return PublishResult(
                Outcome.SUCCESS,
                post_id=job["media_id"],
                post_url=f"https://stepper.example.test/p/{job['media_id']}",
            )
        return None


@pytest.fixture(autouse=True)
def stepper(monkeypatch, settings):
    settings.SITE_URL = SITE_URL
    settings.SOCIAL_MEDIA_RETRY_DELAYS = [30, 120]
    settings.SOCIAL_MEDIA_STEP_DEADLINE_SECONDS = 3600
    platform = StepperPlatform()
    monkeypatch.setitem(PLATFORMS, "instagram", platform)
    return platform


@pytest.fixture
def credential(db) -> SocialMediaCredentials:
    return SocialMediaCredentials.objects.create(
        platform="instagram", access_token=TOKEN, extra_data={"ig_user_id": "1"}
    )


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def due(clock, post: SocialMediaPost) -> None:
    assert post.next_attempt_at is not None
    clock.move_to(post.next_attempt_at + timedelta(milliseconds=1))


def job_answers(rsps, *statuses: str) -> None:
    for status in statuses:
        rsps.get(f"{JOBS}/j1", json={"id": "j1", "status": status})


def test_a_waiting_post_is_rescheduled_then_published_once(mocked_responses, credential, clock):
    create = mocked_responses.post(JOBS, json={"id": "j1"})
    job_answers(mocked_responses, "processing", "processing", "finished")
    publish_call = mocked_responses.post(f"{JOBS}/j1/publish", json={"media_id": "m9"})

    post = publish(new_post("instagram"))
    assert (post.status, post.route, post.platform_step) == (
        "pending",
        "api",
        "Stepper is processing",
    )
    assert post.platform_state == {"job": "j1", "polls": 0}
    assert post.next_attempt_at == START + timedelta(seconds=2)
    assert post.step_deadline == START + timedelta(seconds=3600)
    assert post.retry_count == 0 and post.error_message == ""

    assert delivery.post_publish(post_id=post.pk) is None, "not due yet: nobody may take it"
    waits = []
    for _ in range(2):
        due(clock, post)
        post = publish(post)
        assert post.next_attempt_at is not None
        waits.append(post.next_attempt_at - timezone.now())
    assert waits == [timedelta(seconds=2), timedelta(seconds=4)], "bounded backoff from the state"
    assert post.platform_step == "Stepper is processing (check 2)"
    due(clock, post)
    post = publish(post)

    assert (post.status, post.post_id, post.platform_step, post.step_deadline) == (
        "published",
        "m9",
        "",
        None,
    )
    assert post.retry_count == 0, "waiting is not a retry"
    assert create.call_count == 1 and publish_call.call_count == 1
    stored = SocialMediaPost.objects.get(pk=post.pk)
    assert stored.status == "published" and stored.platform_state["job"] == "j1"
    attempts = list(stored.attempts.values_list("kind", "route", "outcome"))
    assert attempts == [("publish", "api", "waiting")] * 3 + [("publish", "api", "success")]


def test_the_waiting_deadline_gets_one_last_look_then_fails_the_post(
    mocked_responses, credential, clock, settings
):
    settings.SOCIAL_MEDIA_STEP_DEADLINE_SECONDS = 60
    mocked_responses.post(JOBS, json={"id": "j1"})
    looks = mocked_responses.get(f"{JOBS}/j1", json={"id": "j1", "status": "processing"})

    post = publish(new_post("instagram"))
    assert post.step_deadline == START + timedelta(seconds=60)
    while post.status == "pending":
        assert post.next_attempt_at and post.step_deadline
        assert post.next_attempt_at <= post.step_deadline, "never scheduled past the deadline"
        due(clock, post)
        post = publish(post)

    assert post.status == "failed"
    assert post.failure_kind == delivery.FAILURE_STEP_TIMEOUT
    assert "still not done at the waiting deadline" in post.error_message
    assert "Stepper is processing" in post.error_message
    assert looks.call_count >= 2
    assert (post.platform_step, post.step_deadline) == ("", None)


def test_a_transient_error_while_waiting_keeps_the_state_and_resumes(
    mocked_responses, credential, clock
):
    create = mocked_responses.post(JOBS, json={"id": "j1"})
    mocked_responses.get(f"{JOBS}/j1", status=503, json={"error": "busy"})
    job_answers(mocked_responses, "finished")
    mocked_responses.post(f"{JOBS}/j1/publish", json={"media_id": "m9"})

    post = publish(new_post("instagram"))
    due(clock, post)
    post = publish(post)
    assert (post.status, post.retry_count, post.failure_kind) == ("pending", 1, "transient")
    assert post.platform_state["job"] == "j1", "the job survives the error"
    assert post.platform_step == ""
    assert post.step_deadline == START + timedelta(seconds=3600), "the deadline is not extended"
    due(clock, post)
    post = publish(post)

    assert post.status == "published"
    assert create.call_count == 1, "resumed from the stored job, not started over"


def test_a_worker_dying_after_the_publish_call_is_reconciled_from_the_state(
    mocked_responses, credential, clock, settings
):
    mocked_responses.post(JOBS, json={"id": "j1"})
    post = publish(new_post("instagram"))
    # The next worker sends the publish call and dies before writing the result.
    due(clock, post)
    claimed = delivery.post_claim(post.pk)
    assert claimed is not None
    clock.move_to(timezone.now() + timedelta(seconds=settings.SOCIAL_MEDIA_LEASE_SECONDS + 1))
    mocked_responses.get(f"{JOBS}/j1", json={"id": "j1", "status": "published", "media_id": "m9"})

    post = publish(post)

    assert (post.status, post.post_id) == ("published", "m9")
    kinds = list(post.attempts.values_list("kind", "outcome"))
    assert kinds[-1] == ("reconcile", "success")
    assert not any(c.request.url.endswith("/publish") for c in mocked_responses.calls)


def test_a_failed_job_clears_the_state_so_a_retry_starts_over(mocked_responses, credential, clock):
    mocked_responses.post(JOBS, json={"id": "j1"})
    job_answers(mocked_responses, "error")
    post = publish(new_post("instagram"))
    due(clock, post)
    post = publish(post)
    assert (post.status, post.platform_state) == ("failed", {})

    mocked_responses.post(JOBS, json={"id": "j2"})
    assert posts_retry(SocialMediaPost.objects.filter(pk=post.pk), enqueue=False) == 1
    post = publish(SocialMediaPost.objects.get(pk=post.pk))
    assert (post.status, post.platform_state["job"]) == ("pending", "j2")


def test_retry_of_a_timed_out_post_gives_a_new_waiting_window(
    mocked_responses, credential, clock, settings
):
    settings.SOCIAL_MEDIA_STEP_DEADLINE_SECONDS = 60
    mocked_responses.post(JOBS, json={"id": "j1"})
    mocked_responses.get(f"{JOBS}/j1", json={"id": "j1", "status": "processing"})
    post = publish(new_post("instagram"))
    while post.status == "pending":
        due(clock, post)
        post = publish(post)
    assert post.status == "failed"

    posts_retry(SocialMediaPost.objects.filter(pk=post.pk), enqueue=False)
    post = publish(SocialMediaPost.objects.get(pk=post.pk))

    assert post.status == "pending"
    assert post.step_deadline == timezone.now() + timedelta(seconds=600), (
        "the platform's own deadline applies to the new window"
    )
    assert post.platform_state["job"] == "j1", "the job is checked again, not recreated"


def test_a_notice_from_the_platform_is_kept_on_the_published_post(
    mocked_responses, credential, clock
):
    mocked_responses.post(JOBS, json={"id": "j1"})
    job_answers(mocked_responses, "finished")
    mocked_responses.post(f"{JOBS}/j1/publish", json={"media_id": "m9", "private": True})
    post = publish(new_post("instagram"))
    due(clock, post)
    post = publish(post)

    assert post.status == "published"
    assert SocialMediaPost.objects.get(pk=post.pk).notice == "Made private by the platform."


def test_the_webhook_route_is_taken_when_the_active_target_is_a_webhook(
    mocked_responses, clock, fake_dns
):
    webhook = Webhook.objects.create(
        url="https://hook.eu1.make.com/abc",
        service_name="Make.com",
        webhook_type=WebhookType.SOCIAL_MEDIA,
        target_platforms=["instagram"],
    )
    mocked_responses.post(webhook.url, body="Accepted")

    post = publish(new_post("instagram"))

    assert (post.status, post.route) == ("processing", "webhook")
    assert post.webhook_id == webhook.pk
    assert list(post.attempts.values_list("route", "outcome")) == [("webhook", "accepted")]


def test_an_unknown_webhook_outcome_is_resent_not_reconciled(mocked_responses, clock, fake_dns):
    webhook = Webhook.objects.create(
        url="https://hook.eu1.make.com/abc",
        service_name="Make.com",
        webhook_type=WebhookType.SOCIAL_MEDIA,
        target_platforms=["instagram"],
    )
    mocked_responses.post(webhook.url, body=reset_after_sending())
    mocked_responses.post(webhook.url, body="Accepted")

    post = publish(new_post("instagram"))
    assert post.needs_reconcile is False
    due(clock, post)
    post = publish(post)

    assert post.status == "processing"
    assert [k for (k,) in post.attempts.values_list("kind")] == ["publish", "publish"]


def test_with_both_targets_the_credential_route_wins(mocked_responses, credential, clock):
    Webhook.objects.create(
        url="https://hook.eu1.make.com/abc",
        service_name="Make.com",
        webhook_type=WebhookType.SOCIAL_MEDIA,
        target_platforms=["instagram"],
    )
    mocked_responses.post(JOBS, json={"id": "j1"})

    post = publish(new_post("instagram"))

    assert (post.route, post.status, post.webhook_id) == ("api", "pending", None)
