"""Real Celery workers on a real (private) Redis, publishing to the emulator's Pinterest.

Each test starts ``celery -A quiz_backend worker --pool=prefork -c 2`` (and beat
where the relay is under test) as subprocesses against the pytest database.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from social_media.models import PublishAttempt
from tasks.models import SocialMediaPost
from tests.factories import TaskFactory
from tests.reliability.helpers import wait_for_posts

# The worker subprocesses share the test database: PostgreSQL, not SQLite in memory.
pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEASE = 5
WORKER_ENV = {
    "SOCIAL_MEDIA_RETRY_DELAYS": "1,1,1",
    "SOCIAL_MEDIA_LEASE_SECONDS": str(LEASE),
    "SOCIAL_MEDIA_HTTP_TIMEOUT": "2",
    "SOCIAL_MEDIA_RELAY_INTERVAL": "1",
}


@pytest.fixture
def cluster(pinterest, emulator, redis_server, live_broker, start_celery):
    """This process, a worker (and optionally beat) all on the private Redis."""
    live_broker(redis_server.url)
    env = {**WORKER_ENV, "PINTEREST_API_BASE_URL": emulator.pinterest_url}

    def start(*, beat: bool = False):
        worker = start_celery("worker", redis_server.url, **env)
        if beat:
            start_celery("beat", redis_server.url, **env)
        return worker

    return start


def test_real_worker_on_redis_publishes_a_saved_task(cluster, emulator):
    cluster()

    task = TaskFactory(published=True)

    [post] = wait_for_posts("published", count=1, timeout=30)
    assert post.task_id == task.pk
    assert post.post_id == emulator.pins[0]["id"]
    assert post.post_url == f"https://www.pinterest.com/pin/{post.post_id}/"
    assert post.retry_count == 0
    assert emulator.create_count("pinterest") == 1


def test_500_500_201_retries_and_publishes_one_pin(cluster, emulator):
    emulator.fault("pinterest", "status", status=500, count=2, on="create")
    cluster()

    TaskFactory(published=True)

    [post] = wait_for_posts("published", count=1, timeout=40)
    assert emulator.create_count("pinterest") == 3
    assert len(emulator.pins) == 1
    assert post.retry_count == 2
    assert post.error_message == ""
    attempts = list(PublishAttempt.objects.filter(post=post).order_by("number"))
    assert [(a.number, a.http_status, a.outcome) for a in attempts] == [
        (1, 500, "transient"),
        (2, 500, "transient"),
        (3, 201, "success"),
    ]
    assert all(a.duration_ms is not None and a.finished_at for a in attempts)


@pytest.mark.parametrize("pin_created", [True, False], ids=["reconciled", "resent"])
def test_worker_killed_mid_publish_ends_published_exactly_once(cluster, emulator, pin_created):
    # The platform takes the request (and, in one case, creates the pin), then
    # holds it while we SIGKILL the worker's pool processes.
    process = "before" if pin_created else "never"
    emulator.fault("pinterest", "timeout", seconds=30, process=process, on="create")
    worker = cluster(beat=True)

    TaskFactory(published=True)
    assert emulator.wait_for_creates("pinterest", timeout=20), worker.output()[-2000:]
    killed_at = time.monotonic()
    for child in worker.children():
        os.kill(child, signal.SIGKILL)
    emulator.release()

    [post] = wait_for_posts("published", count=1, timeout=40)
    assert time.monotonic() - killed_at >= LEASE - 1  # only after the lease ran out
    assert len(emulator.pins) == 1
    assert post.post_id == emulator.pins[0]["id"]
    assert emulator.create_count("pinterest") == (1 if pin_created else 2)
    kinds = list(PublishAttempt.objects.filter(post=post).values_list("kind", flat=True))
    assert "reconcile" in kinds
    assert post.status == "published"


def test_redis_down_while_saving_then_relay_publishes_everything(cluster, emulator, redis_server):
    cluster(beat=True)
    redis_server.stop()

    for _ in range(3):
        started = time.monotonic()
        TaskFactory(published=True)
        assert time.monotonic() - started < 1.5, "saving must not wait for the broker"

    # Nothing reached the broker: the outbox rows wait for the relay.
    waiting = SocialMediaPost.objects.values_list("status", "enqueued_at")
    assert list(waiting) == [("pending", None)] * 3

    redis_server.start()
    posts = wait_for_posts("published", count=3, timeout=60)
    assert {p.status for p in posts} == {"published"}
    assert emulator.create_count("pinterest") == 3
    assert len({pin["link"] for pin in emulator.pins}) == 3
