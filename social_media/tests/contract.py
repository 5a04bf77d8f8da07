"""The checks every API platform must pass, reused by each platform's test class.

A platform test class subclasses ``PlatformContract`` and supplies the wire
details (endpoint, recorded answers, how a post is looked up on the platform);
the contract drives the real delivery pipeline (claim → publish → record →
decide) with only the HTTP boundary mocked by ``responses``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
import time_machine
from responses import RequestsMock
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from social_media import delivery
from social_media.models import PublishAttempt
from tasks.models import SocialMediaPost, Task
from tests.factories import TaskFactory
from webhooks.models import SocialMediaCredentials

FIXTURES = Path(__file__).parent / "fixtures"
SITE_URL = "https://quiz.example.com"
PINTEREST_API = "https://api.pinterest.com/v5"
GRAPH_API = "https://graph.facebook.com/v26.0"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def load_fixture(platform: str, name: str) -> Any:
    """A recorded-style answer from ``fixtures/<platform>/<name>.json``."""
    return json.loads((FIXTURES / platform / f"{name}.json").read_text(encoding="utf-8"))


def connect_refused() -> requests.ConnectionError:
    """What requests raises when the TCP connection could not be opened at all."""
    host = "api.example.test"
    reason = NewConnectionError(
        HTTPSConnection(host), "Failed to establish a new connection: [Errno 111]"
    )
    return requests.ConnectionError(MaxRetryError(HTTPSConnectionPool(host), "/", reason=reason))


def reset_after_sending() -> requests.ConnectionError:
    """What requests raises when the peer drops the connection mid-exchange."""
    return requests.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset"))
    )


def new_post(platform: str, **task_fields: Any) -> SocialMediaPost:
    """Save a published task (the signal writes its posts) and return one pending post."""
    task = TaskFactory(published=True, **task_fields)
    return task.social_posts.get(platform=platform)


def publish(post: SocialMediaPost) -> SocialMediaPost:
    """One worker run for ``post``, as the Celery task does it."""
    result = delivery.post_publish(post_id=post.pk)
    assert result is not None, "the post was not claimable"
    return result


def all_log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


class PlatformContract:
    """Behaviour every API platform shares. Subclasses fill in the hooks below."""

    platform: ClassVar[str]
    token: ClassVar[str]

    # --- hooks -----------------------------------------------------------------

    def make_credential(self, **fields: Any) -> SocialMediaCredentials:
        raise NotImplementedError

    def publish_url(self, credential: SocialMediaCredentials) -> str:
        """The URL the create call goes to for a task with an image."""
        raise NotImplementedError

    def register_success(self, rsps: RequestsMock, credential: SocialMediaCredentials) -> tuple:
        """Register the answers of a successful publish; return (post_id, post_url)."""
        raise NotImplementedError

    def lookup_url(self, credential: SocialMediaCredentials) -> str:
        """The URL that lists recent posts (reconciliation after an unknown end)."""
        raise NotImplementedError

    def register_lookup(
        self, rsps: RequestsMock, credential: SocialMediaCredentials, task: Task, found: str | None
    ) -> tuple[str, str] | None:
        """Register the list of recent posts, holding post ``found`` for ``task`` if given.

        Return (post_id, post_url) the platform should store for the found post.
        """
        raise NotImplementedError

    def auth_error(self) -> tuple[int, dict]:
        """(HTTP status, body) of the platform's answer to an expired token."""
        raise NotImplementedError

    # --- shared set-up -----------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _platform_settings(self, settings):
        settings.SITE_URL = SITE_URL
        settings.PINTEREST_API_BASE_URL = PINTEREST_API
        settings.FACEBOOK_GRAPH_API_BASE_URL = GRAPH_API
        settings.FACEBOOK_APP_SECRET = ""
        settings.SOCIAL_MEDIA_RETRY_DELAYS = [30, 120, 600]

    @pytest.fixture
    def credential(self) -> SocialMediaCredentials:
        return self.make_credential()

    @pytest.fixture
    def clock(self):
        with time_machine.travel(START, tick=False) as traveller:
            yield traveller

    def create_calls(self, rsps: RequestsMock, credential: SocialMediaCredentials) -> list:
        url = self.publish_url(credential)
        return [c for c in rsps.calls if c.request.method == "POST" and c.request.url == url]

    # --- the contract ------------------------------------------------------------

    def test_success_stores_post_id_and_url(self, mocked_responses, credential, clock):
        post_id, post_url = self.register_success(mocked_responses, credential)

        post = publish(new_post(self.platform))

        assert post.status == "published"
        assert post.post_id == post_id
        assert post.post_url == post_url
        assert post.published_at == START
        assert post.error_message == ""
        assert post.retry_count == 0
        assert len(self.create_calls(mocked_responses, credential)) == 1

    def test_token_travels_only_in_the_authorization_header(self, mocked_responses, credential):
        self.register_success(mocked_responses, credential)

        publish(new_post(self.platform))

        assert mocked_responses.calls
        for call in mocked_responses.calls:
            assert call.request.headers["Authorization"] == f"Bearer {self.token}"
            assert self.token not in call.request.url
            body = call.request.body or b""
            body = body.decode() if isinstance(body, bytes) else body
            assert self.token not in body
            assert "access_token" not in call.request.url

    def test_success_attempt_is_recorded(self, mocked_responses, credential):
        self.register_success(mocked_responses, credential)

        post = publish(new_post(self.platform))

        attempt = PublishAttempt.objects.get(post=post)
        assert attempt.number == 1
        assert attempt.kind == "publish"
        assert attempt.outcome == "success"
        assert attempt.http_status in (200, 201)
        assert attempt.duration_ms is not None and attempt.finished_at is not None
        assert attempt.response_excerpt

    def test_server_error_is_retried_later(self, mocked_responses, credential, clock):
        mocked_responses.post(self.publish_url(credential), status=503, body="Service Unavailable")

        post = publish(new_post(self.platform))

        assert post.status == "pending"
        assert post.retry_count == 1
        assert post.failure_kind == "transient"
        assert "HTTP 503" in post.error_message
        assert "Retry 1 of 3" in post.error_message
        # 30 s ± 20 % jitter
        assert post.next_attempt_at is not None
        assert (
            START + timedelta(seconds=24) <= post.next_attempt_at <= START + timedelta(seconds=36)
        )
        assert post.needs_reconcile is False
        # Not due yet: a second worker run does nothing.
        assert delivery.post_publish(post_id=post.pk) is None
        assert len(self.create_calls(mocked_responses, credential)) == 1

    def test_expired_token_fails_flags_credential_and_never_retries(
        self, mocked_responses, credential
    ):
        status, body = self.auth_error()
        mocked_responses.post(self.publish_url(credential), status=status, json=body)

        post = publish(new_post(self.platform))

        assert post.status == "failed"
        assert post.failure_kind == "auth"
        assert post.retry_count == 1
        assert post.next_attempt_at is None
        credential.refresh_from_db()
        assert credential.needs_reconnect is True
        assert credential.last_error == post.error_message
        # The next task on the same credential fails without a network call.
        second = publish(new_post(self.platform))
        assert second.status == "failed"
        assert "needs reconnection" in second.error_message
        assert len(self.create_calls(mocked_responses, credential)) == 1

    @pytest.mark.parametrize(
        "error",
        [requests.ConnectTimeout("connect timed out"), connect_refused()],
        ids=["connect-timeout", "connection-refused"],
    )
    def test_failure_before_sending_is_a_plain_retry(self, mocked_responses, credential, error):
        mocked_responses.post(self.publish_url(credential), body=error)

        post = publish(new_post(self.platform))

        assert post.status == "pending"
        assert post.failure_kind == "transient"
        assert post.needs_reconcile is False
        assert "could not connect" in post.error_message

    @pytest.mark.parametrize(
        "error",
        [requests.ReadTimeout("read timed out"), reset_after_sending()],
        ids=["read-timeout", "reset-after-sending"],
    )
    def test_unknown_end_is_reconciled_and_found_without_a_second_send(
        self, mocked_responses, credential, clock, error
    ):
        mocked_responses.post(self.publish_url(credential), body=error)
        post = publish(new_post(self.platform))
        assert post.status == "pending"
        assert post.failure_kind == "unknown"
        assert post.needs_reconcile is True
        assert "may have been processed" in post.error_message

        found = self.register_lookup(mocked_responses, credential, post.task, found="7001")
        clock.shift(timedelta(seconds=40))
        post = publish(post)

        assert post.status == "published"
        assert (post.post_id, post.post_url) == found
        assert len(self.create_calls(mocked_responses, credential)) == 1
        kinds = list(post.attempts.values_list("kind", "outcome"))
        assert kinds == [("publish", "unknown"), ("reconcile", "success")]

    def test_unknown_end_not_found_on_platform_is_sent_again(
        self, mocked_responses, credential, clock
    ):
        mocked_responses.post(self.publish_url(credential), body=requests.ReadTimeout("slow"))
        post = publish(new_post(self.platform))

        mocked_responses.remove("POST", self.publish_url(credential))
        self.register_lookup(mocked_responses, credential, post.task, found=None)
        post_id, post_url = self.register_success(mocked_responses, credential)
        clock.shift(timedelta(seconds=40))
        post = publish(post)

        assert post.status == "published"
        assert (post.post_id, post.post_url) == (post_id, post_url)
        kinds = list(post.attempts.values_list("kind", "outcome"))
        assert kinds == [("publish", "unknown"), ("reconcile", "not_found"), ("publish", "success")]

    def test_failed_lookup_keeps_looking_before_any_resend(
        self, mocked_responses, credential, clock
    ):
        mocked_responses.post(self.publish_url(credential), body=requests.ReadTimeout("slow"))
        post = publish(new_post(self.platform))
        mocked_responses.get(self.lookup_url(credential), status=502, body="Bad Gateway")
        clock.shift(timedelta(seconds=40))

        post = publish(post)

        assert post.status == "pending"
        assert post.needs_reconcile is True
        assert len(self.create_calls(mocked_responses, credential)) == 1

    @pytest.mark.parametrize("body", ["<html>OK</html>", ""], ids=["html", "empty"])
    def test_success_status_with_unreadable_body_is_unknown(
        self, mocked_responses, credential, body
    ):
        mocked_responses.post(self.publish_url(credential), status=200, body=body)

        post = publish(new_post(self.platform))

        assert post.status == "pending"
        assert post.failure_kind == "unknown"
        assert post.needs_reconcile is True

    def test_success_status_without_an_id_is_unknown(self, mocked_responses, credential):
        mocked_responses.post(self.publish_url(credential), status=200, json={"ok": True})

        post = publish(new_post(self.platform))

        assert post.status == "pending"
        assert post.failure_kind == "unknown"
        assert post.needs_reconcile is True
        assert "may exist" in post.error_message

    def test_token_never_leaks_into_errors_excerpts_or_logs(
        self, mocked_responses, credential, caplog
    ):
        caplog.set_level(logging.DEBUG)
        echo = {
            "message": f"Bad token {self.token}",
            "error": {"message": f"Invalid OAuth access token {self.token}", "code": 100},
            "code": 1,
        }
        mocked_responses.post(self.publish_url(credential), status=400, json=echo)

        post = publish(new_post(self.platform))

        assert post.status == "failed"
        attempt = post.attempts.get()
        assert self.token not in post.error_message
        assert self.token not in attempt.error_message
        assert self.token not in attempt.response_excerpt
        assert "***" in attempt.response_excerpt
        assert self.token not in all_log_text(caplog)
        credential.refresh_from_db()
        assert self.token not in credential.last_error


def picture(width: int, height: int, image_format: str = "PNG") -> bytes:
    """An image file of the given size, as a task's own image would be."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, image_format)
    return buffer.getvalue()


def stored_image(url: str):
    """The stored render behind a public media URL, opened with Pillow (pixels, not metadata)."""
    from django.conf import settings
    from django.core.files.storage import default_storage
    from PIL import Image

    assert url.startswith(settings.MEDIA_PUBLIC_URL), url
    with default_storage.open(url.removeprefix(settings.MEDIA_PUBLIC_URL), "rb") as handle:
        image = Image.open(handle)
        image.load()
    return image
