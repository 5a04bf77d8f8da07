"""TikTok publish steps on answers the emulator does not give (HTTP mocked with ``responses``)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from responses import matchers

from quiz_backend.encryption import encrypt
from quiz_media.specs import RenderedMedia
from social_media.media import PostMedia
from social_media.platforms.base import Outcome
from social_media.platforms.tiktok import publishing, session, status
from social_media.platforms.tiktok.chunks import plan_chunks
from social_media.platforms.tiktok.metrics import read_metrics
from tasks.models import SocialMediaPost
from tests.factories import TaskFactory, TikTokCredentialsFactory

pytestmark = pytest.mark.django_db

API = "https://open.tiktokapis.com"
CREATOR = f"{API}/v2/post/publish/creator_info/query/"
INIT = f"{API}/v2/post/publish/video/init/"
STATUS = f"{API}/v2/post/publish/status/fetch/"
UPLOAD = "https://open-upload.tiktokapis.com/video/?upload_id=1&upload_token=SECRETupload"
PUBLISH_ID = "v_pub_file~v2-1.7300000000000000001"
CREATOR_INFO = {
    "creator_username": "quiz",
    "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
    "max_video_post_duration_sec": 600,
}


@pytest.fixture(autouse=True)
def _api(settings):
    settings.TIKTOK_API_BASE_URL = API
    settings.TIKTOK_VIDEO_URL = "https://www.tiktok.com/@{username}/video/{id}"


def ok(data: dict) -> dict:
    return {"data": data, "error": {"code": "ok", "message": "", "log_id": "L1"}}


@pytest.fixture
def credential():
    return TikTokCredentialsFactory(token_expires_at=None)


@pytest.fixture
def post(credential):
    return TaskFactory(published=True).social_posts.get(platform="tiktok")


@pytest.fixture
def media() -> PostMedia:
    data = b"\x00" * 1000
    name = default_storage.save("renders/tt/test.mp4", ContentFile(data))
    video = RenderedMedia(
        name=name,
        url=f"https://cdn.quiz.example.com/{name}",
        kind="video",
        width=360,
        height=640,
        mime_type="video/mp4",
        bytes=len(data),
        duration=2.0,
    )
    return PostMedia(items={"video": video})


def polling(privacy: str = "PUBLIC_TO_EVERYONE", **more) -> dict:
    return {
        "publish_id": PUBLISH_ID,
        "source": "FILE_UPLOAD",
        "privacy": privacy,
        "username": "quiz",
        "notices": [],
        "polls": 0,
        "uploaded": True,
        **more,
    }


def test_an_init_answer_without_a_publish_id_is_unknown(mocked_responses, post, credential, media):
    mocked_responses.post(CREATOR, json=ok(CREATOR_INFO))
    mocked_responses.post(INIT, json=ok({}))
    result = publishing.publish(post, credential, media)
    assert result.outcome == Outcome.UNKNOWN
    assert result.state is not None
    assert result.state["init_sent"] is True
    post.platform_state = result.state
    assert publishing.reconcile(post, credential) is None  # FILE_UPLOAD: safe to start again


def test_a_lost_pull_from_url_init_fails_for_a_person_to_check(post, credential):
    post.platform_state = {"source": "PULL_FROM_URL", "init_sent": True}
    found = publishing.reconcile(post, credential)
    assert found is not None
    assert found.outcome == Outcome.PERMANENT
    assert "Check the TikTok account" in found.error_message


def test_the_upload_url_is_stored_encrypted_never_in_clear(
    mocked_responses, post, credential, media
):
    mocked_responses.post(CREATOR, json=ok(CREATOR_INFO))
    mocked_responses.post(INIT, json=ok({"publish_id": PUBLISH_ID, "upload_url": UPLOAD}))
    result = publishing.publish(post, credential, media)
    assert result.outcome == Outcome.WAITING
    assert result.state is not None
    assert "SECRETupload" not in str(result.state)
    assert result.state["chunks"] == [1000, 1000, 1]


def test_an_expired_upload_url_starts_a_new_publish(mocked_responses, post, credential, media):
    plan = plan_chunks(1000, 10_000)
    post.platform_state = polling(
        uploaded=False, chunks=plan.as_state(), next_chunk=0, upload=encrypt(UPLOAD)
    )
    mocked_responses.put(UPLOAD, status=403, json={"error": {"code": "invalid_params"}})
    result = publishing.publish(post, credential, media)
    assert result.outcome == Outcome.TRANSIENT
    assert result.state == {}
    assert "expired" in result.error_message


def test_a_resumed_upload_asks_how_much_tiktok_has(mocked_responses, post, credential, media):
    plan = plan_chunks(1000, 400)  # 2 chunks: 400 + 600
    post.platform_state = polling(
        uploaded=False, chunks=plan.as_state(), next_chunk=0, resync=True, upload=encrypt(UPLOAD)
    )
    mocked_responses.post(STATUS, json=ok({"status": "PROCESSING_UPLOAD", "uploaded_bytes": 400}))
    mocked_responses.put(
        UPLOAD,
        status=201,
        body=b"",
        match=[matchers.header_matcher({"Content-Range": "bytes 400-999/1000"})],
    )
    result = publishing.publish(post, credential, media)
    assert result.outcome == Outcome.WAITING
    assert result.state is not None
    assert result.state["uploaded"] is True
    assert "upload" not in result.state


def test_a_public_post_in_moderation_is_waited_for_then_published_with_a_notice(
    mocked_responses, post, credential, media
):
    mocked_responses.post(STATUS, json=ok({"status": "PUBLISH_COMPLETE"}))
    post.platform_state = polling()
    waited = publishing.publish(post, credential, media)
    assert waited.outcome == Outcome.WAITING
    assert waited.step == session.STEP_MODERATION
    post.platform_state = polling(moderation_polls=status.MODERATION_POLLS)
    done = publishing.publish(post, credential, media)
    assert done.outcome == Outcome.SUCCESS
    assert done.post_id == PUBLISH_ID
    assert done.post_url == "https://www.tiktok.com/@quiz"
    assert "moderation" in done.notice


def test_a_public_id_gives_the_video_url(mocked_responses, post, credential, media):
    mocked_responses.post(
        STATUS,
        json=ok(
            {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [7400000000000000001]}
        ),
    )
    post.platform_state = polling()
    result = publishing.publish(post, credential, media)
    assert result.outcome == Outcome.SUCCESS
    assert result.post_id == "7400000000000000001"
    assert result.post_url == "https://www.tiktok.com/@quiz/video/7400000000000000001"


@pytest.mark.parametrize(
    ("reason", "outcome", "state"),
    [
        ("internal", Outcome.TRANSIENT, {}),
        ("video_pull_failed", Outcome.TRANSIENT, {}),
        ("auth_removed", Outcome.AUTH, {}),
        ("duration_check_failed", Outcome.PERMANENT, {}),
        ("spam_risk_too_many_posts", Outcome.RATE_LIMITED, {}),
        ("something_new", Outcome.PERMANENT, {}),
    ],
)
def test_fail_reasons_map_to_outcomes(
    mocked_responses, post, credential, media, reason, outcome, state
):
    mocked_responses.post(STATUS, json=ok({"status": "FAILED", "fail_reason": reason}))
    post.platform_state = polling()
    result = publishing.publish(post, credential, media)
    assert result.outcome == outcome
    assert result.state == state
    assert reason in result.error_message
    assert result.spam is reason.startswith("spam_risk")


def test_an_inbox_answer_to_a_direct_post_is_permanent(mocked_responses, post, credential, media):
    mocked_responses.post(STATUS, json=ok({"status": "SEND_TO_USER_INBOX"}))
    post.platform_state = polling()
    result = publishing.publish(post, credential, media)
    assert result.outcome == Outcome.PERMANENT
    assert "inbox" in result.error_message


def test_polls_back_off_to_a_minute():
    assert [session.poll_wait(n) for n in range(7)] == [2, 4, 8, 16, 32, 60, 60]


def test_titles_are_cut_in_utf16_units():
    assert session.fit_title("a" * 2300) == "a" * 2200
    assert session.fit_title("😀" * 1101) == "😀" * 1100  # two units each
    assert session.fit_title("short") == "short"


def test_no_open_id_fails_before_any_call(post, credential, media):
    credential.extra_data = {}
    result = publishing.publish(post, credential, media)
    assert result.outcome == Outcome.PERMANENT
    assert "open_id" in result.error_message


def test_no_video_fails_before_any_call(post, credential):
    result = publishing.publish(post, credential, PostMedia())
    assert result.outcome == Outcome.PERMANENT
    assert "no video" in result.error_message


def test_metrics_pass_missing_null_and_junk_values_through(mocked_responses, credential):
    mocked_responses.post(
        f"{API}/v2/video/query/",
        json=ok({"videos": [{"id": "7401", "view_count": None, "like_count": "junk", "x": 1}]}),
    )
    post = SocialMediaPost(pk=5, post_id="7401")
    batch = read_metrics([post, SocialMediaPost(pk=6, post_id="7402")], credential)
    assert batch.outcome == Outcome.SUCCESS
    assert batch.readings[5].values == {"views": None, "engagements": "junk"}
    assert batch.readings[5].raw == {"view_count": None, "like_count": "junk", "x": 1}
    assert 6 not in batch.readings  # TikTok did not return it


def test_metrics_of_private_posts_ask_nothing(credential):
    batch = read_metrics([SocialMediaPost(pk=5, post_id=PUBLISH_ID)], credential)
    assert batch.readings == {}
    assert batch.outcome == Outcome.SUCCESS
