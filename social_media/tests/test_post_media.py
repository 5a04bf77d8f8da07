"""Media in the publishing flow: rendered in the worker only, failing one post at most."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import translation
from PIL import Image

from quiz_media.models import RenderedFile
from quiz_media.specs import MediaSpec
from social_media.platforms.registry import PLATFORMS
from social_media.tests.contract import (
    GRAPH_API,
    PINTEREST_API,
    SITE_URL,
    picture,
    stored_image,
)
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
    task_admin_form,
)

pytestmark = pytest.mark.django_db

PINS = f"{PINTEREST_API}/pins"
PAGE = "104512345678901"
PHOTOS = f"{GRAPH_API}/{PAGE}/photos"
MAKE = "https://hook.eu1.make.com/abc123"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.FACEBOOK_GRAPH_API_BASE_URL = GRAPH_API
    settings.FACEBOOK_APP_SECRET = ""


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def six_platforms(mocked_responses):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    WebhookFactory(url=MAKE)  # instagram, tiktok, youtube_shorts, yandex_dzen
    WebhookFactory(url=MAKE, target_platforms=[])  # not a target: ignored
    mocked_responses.post(PINS, status=201, json={"id": "11"})
    mocked_responses.post(PHOTOS, json={"id": "2", "post_id": f"{PAGE}_2"})
    mocked_responses.get(f"{GRAPH_API}/{PAGE}_2", json={"permalink_url": "https://fb/p/2"})
    mocked_responses.post(MAKE, body="Accepted")
    return mocked_responses


def statuses(task) -> dict[str, str]:
    return dict(task.social_posts.values_list("platform", "status"))


def stored_files() -> list[str]:
    try:
        _, files = default_storage.listdir("renders")
    except FileNotFoundError:
        return []
    return files


def _save_published(admin_client, task, capture, *, execute: bool):
    url = reverse("admin:tasks_task_change", args=[task.pk])
    with capture(execute=execute) as callbacks:
        response = admin_client.post(url, task_admin_form(task, published="on"), **EN)
    assert response.status_code == 302
    return callbacks


# --- never in a save or a request --------------------------------------------------------


def test_saving_a_published_task_renders_nothing_until_the_worker_runs(
    admin_client, six_platforms, django_capture_on_commit_callbacks
):
    task = TaskFactory(image_url="")

    callbacks = _save_published(
        admin_client, task, django_capture_on_commit_callbacks, execute=False
    )

    # The save wrote six pending posts and nothing else: no file, no render row, no call.
    assert set(statuses(task).values()) == {"pending"}
    assert stored_files() == []
    assert not RenderedFile.objects.exists()
    assert len(six_platforms.calls) == 0
    # The worker (eager here) renders each platform's media just before sending.
    for callback in callbacks:
        callback()
    assert statuses(task) == {
        "pinterest": "published",
        "facebook": "published",
        "instagram": "processing",
        "tiktok": "processing",
        "youtube_shorts": "processing",
        "yandex_dzen": "processing",
    }
    # One render per shape: the three platforms taking a vertical video share one file,
    # Instagram and Dzen their 4:5 cards.
    kinds = sorted(RenderedFile.objects.filter(task=task).values_list("kind", "width", "height"))
    assert kinds == [
        ("answer_card", 216, 270),
        ("question_card", 200, 300),
        ("question_card", 216, 270),
        ("question_card", 240, 124),
        ("video", 216, 384),
    ]


def test_the_task_page_shows_existing_renders_and_never_renders(
    admin_client, six_platforms, django_capture_on_commit_callbacks
):
    task = TaskFactory(image_url="")
    page = reverse("admin:tasks_task_change", args=[task.pk])

    before = admin_client.get(page, **EN).content.decode()

    assert before.count("Not rendered yet") == 9  # 1 + 1 + 3 + 1 + 1 + 2 media
    assert "<video" not in before and "/media/renders/" not in before
    assert stored_files() == [] and not RenderedFile.objects.exists()

    _save_published(admin_client, task, django_capture_on_commit_callbacks, execute=True)
    after = admin_client.get(page, **EN).content.decode()

    assert "Not rendered yet" not in after
    video = RenderedFile.objects.filter(task=task, kind="video").first()
    assert video is not None
    assert f'<video src="{SITE_URL}/media/{video.name}"' in after
    card = RenderedFile.objects.filter(task=task, kind="question_card", width=200).get()
    assert f'<img src="{SITE_URL}/media/{card.name}"' in after


# --- the re-render action -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (EN, "Media rendering queued for 2 tasks"),
        (RU, "Отрисовка медиа поставлена в очередь для 2 задач"),
    ],
)
def test_rerender_action_queues_the_worker_and_says_so(
    admin_client, django_capture_on_commit_callbacks, headers, message
):
    PinterestCredentialsFactory()
    WebhookFactory(url=MAKE, target_platforms=["tiktok"])
    tasks = [TaskFactory(), TaskFactory(question="Another?")]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("admin:tasks_task_changelist"),
            {"action": "rerender_media", "_selected_action": [t.pk for t in tasks]},
            follow=True,
            **headers,
        )

    assert message in next(str(m) for m in response.context["messages"])
    assert not RenderedFile.objects.exists()  # queued, not rendered in the request
    assert len(callbacks) == 1
    callbacks[0]()  # the worker's job (eager)
    kinds = sorted(RenderedFile.objects.values_list("task_id", "kind"))
    assert kinds == sorted([(t.pk, k) for t in tasks for k in ("question_card", "video")])
    assert not tasks[0].social_posts.exists()  # rendering publishes nothing


def test_dry_run_and_bulk_confirmation_render_nothing(admin_client, mocked_responses):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    WebhookFactory(url=MAKE)  # no answer registered: any request would be unmatched
    tasks = [TaskFactory(image_url=""), TaskFactory(image_url="", question="Another?")]
    changelist = reverse("admin:tasks_task_changelist")
    selected = [t.pk for t in tasks]

    for action in ("dry_run", "publish_to_social_networks"):
        response = admin_client.post(
            changelist, {"action": action, "_selected_action": selected}, **EN
        )
        assert response.status_code == 200  # the intermediate page, not a redirect

    assert stored_files() == [] and not RenderedFile.objects.exists()
    assert len(mocked_responses.calls) == 0


def test_rerender_action_with_no_task_selected_queues_nothing(
    admin_client, django_capture_on_commit_callbacks
):
    TaskFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("admin:tasks_task_changelist"),
            {"action": "rerender_media", "index": "0"},  # the form with nothing ticked
            follow=True,
            **EN,
        )

    assert response.status_code == 200
    assert "Items must be selected" in " ".join(str(m) for m in response.context["messages"])
    assert callbacks == [] and not RenderedFile.objects.exists()


def test_rerender_action_on_unpublished_tasks_renders_and_publishes_nothing(
    admin_client, django_capture_on_commit_callbacks
):
    PinterestCredentialsFactory()
    task = TaskFactory(published=False)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:tasks_task_changelist"),
            {"action": "rerender_media", "_selected_action": [task.pk]},
            **EN,
        )

    assert RenderedFile.objects.filter(task=task, kind="question_card").exists()
    assert not task.social_posts.exists()
    task.refresh_from_db()
    assert task.published is False


# --- a failed or unfit render fails that post only ----------------------------------------


def test_a_render_that_fails_fails_only_that_post_permanently(six_platforms, monkeypatch):
    # A spec the renderer refuses (smaller than it can draw): TikTok's video cannot be made.
    impossible = (MediaSpec("video", 32, 32, "mp4", 10_000_000, max_duration=2.0),)
    monkeypatch.setattr(PLATFORMS["tiktok"], "media_requirements", impossible)

    task = TaskFactory(published=True)
    from social_media.delivery import post_publish

    for post in task.social_posts.all():
        post_publish(post_id=post.pk)

    tiktok = task.social_posts.get(platform="tiktok")
    assert tiktok.status == "failed"
    assert tiktok.failure_kind == "permanent"
    assert tiktok.error_message == (
        "TikTok: A 32×32 medium is outside the renderer's 64–4096 px range."
    )
    assert tiktok.next_attempt_at is None
    assert tiktok.attempts.get().http_status is None
    others = {k: v for k, v in statuses(task).items() if k != "tiktok"}
    assert others == {
        "pinterest": "published",
        "facebook": "published",
        "instagram": "processing",
        "youtube_shorts": "processing",
        "yandex_dzen": "processing",
    }
    sent = [c.request.body for c in six_platforms.calls if c.request.url == MAKE]
    assert len(sent) == 3 and not any(b'"platform":"tiktok"' in body for body in sent)


def test_a_storage_outage_is_retried_later_not_failed(mocked_responses, settings):
    # The disk refuses every write: the card is fine, the storage is not, so the post waits.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "quiz_media.tests.helpers.BrokenStorage"},
    }
    PinterestCredentialsFactory()
    task = TaskFactory(published=True)
    from social_media.delivery import post_publish

    post = post_publish(post_id=task.social_posts.get().pk)

    assert post is not None  # claimed
    assert (post.status, post.failure_kind) == ("pending", "transient")
    assert post.next_attempt_at is not None
    assert post.error_message.startswith("Pinterest: The rendered question card could not be")
    assert len(mocked_responses.calls) == 0  # nothing reached Pinterest


def test_a_storage_that_fails_the_pre_send_check_is_retried_not_failed(mocked_responses, settings):
    # The card is stored, but the storage times out when asked for its size before sending.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "quiz_media.tests.helpers.SizelessStorage"},
    }
    PinterestCredentialsFactory()
    task = TaskFactory(published=True, image_url="")
    from social_media.delivery import post_publish

    post = post_publish(post_id=task.social_posts.get().pk)

    assert post is not None
    assert (post.status, post.failure_kind) == ("pending", "transient")
    assert "media storage cannot be reached" in post.error_message
    assert len(mocked_responses.calls) == 0


def test_a_render_over_the_platforms_byte_limit_is_never_sent(mocked_responses, monkeypatch):
    PinterestCredentialsFactory()
    tiny = (MediaSpec("question_card", 200, 300, "png", 500),)  # no card is 500 bytes
    monkeypatch.setattr(PLATFORMS["pinterest"], "media_requirements", tiny)
    task = TaskFactory(published=True)
    from social_media.delivery import post_publish

    post = post_publish(post_id=task.social_posts.get().pk)

    assert post is not None  # claimed
    assert post.status == "failed" and post.failure_kind == "permanent"
    assert post.error_message.startswith("Pinterest: ")
    assert "500 bytes" in post.error_message
    assert len(mocked_responses.calls) == 0


def test_a_stored_render_that_no_longer_fits_is_refused_before_sending(mocked_responses):
    from social_media.delivery import post_publish
    from social_media.media import tasks_render_media

    PinterestCredentialsFactory()  # no answer registered: a pin request would be unmatched
    task = TaskFactory(published=True)
    tasks_render_media(task_ids=[task.pk])  # the card is cached before publishing
    row = RenderedFile.objects.get(kind="question_card")
    # The stored file is replaced behind the cache's back by one of the wrong size.
    default_storage.delete(row.name)
    default_storage.save(row.name, ContentFile(picture(50, 50)))

    post = post_publish(post_id=task.social_posts.get().pk)

    assert post is not None  # claimed
    assert post.status == "failed" and post.failure_kind == "permanent"
    assert post.error_message == (
        "Pinterest: The generated question card does not fit Pinterest: "
        "it is 50×50, not 200×300 PNG."
    )
    assert not [c for c in mocked_responses.calls if c.request.method == "POST"]


def test_an_own_image_that_fits_is_pinned_as_it_is(mocked_responses):
    PinterestCredentialsFactory()
    image = "https://cdn.quiz.example.com/tasks/tall.jpg"
    mocked_responses.get(image, body=picture(1000, 1500, "JPEG"), content_type="image/jpeg")
    mocked_responses.post(PINS, status=201, json={"id": "11"})
    task = TaskFactory(published=True, image_url=image)
    from social_media.delivery import post_publish

    post = post_publish(post_id=task.social_posts.get().pk)

    assert post is not None  # claimed
    assert post.status == "published"
    pin = next(c for c in mocked_responses.calls if c.request.method == "POST")
    assert b'"url": "https://cdn.quiz.example.com/tasks/tall.jpg"' in pin.request.body
    assert not RenderedFile.objects.exists()  # no card was needed


def test_the_card_of_a_task_is_pixels_of_the_platforms_shape(mocked_responses):
    FacebookCredentialsFactory()
    mocked_responses.post(PHOTOS, json={"id": "2", "post_id": f"{PAGE}_2"})
    mocked_responses.get(f"{GRAPH_API}/{PAGE}_2", json={"permalink_url": "https://fb/p/2"})
    task = TaskFactory(published=True)
    from social_media.delivery import post_publish

    post_publish(post_id=task.social_posts.get().pk)

    body = mocked_responses.calls[0].request.body
    from urllib.parse import parse_qs

    url = parse_qs(body if isinstance(body, str) else body.decode())["url"][0]
    card = stored_image(url)
    assert card.size == (240, 124)
    # Not a blank picture: a drawn card has many colours.
    colours = card.convert("RGB").getcolors(maxcolors=100_000)
    assert colours is None or len(colours) > 20
    buffer = io.BytesIO()
    card.save(buffer, "PNG")
    assert Image.open(buffer).size == (240, 124)


# --- a repeat publish trusts the verified row, not another decode ------------------------


@pytest.fixture
def av_opens(monkeypatch):
    """Every av.open call (the PyAV boundary), counted by mode."""
    import av

    calls: list[str] = []
    real = av.open

    def counting(*args, **kwargs):
        calls.append(kwargs.get("mode", args[1] if len(args) > 1 else "r"))
        return real(*args, **kwargs)

    monkeypatch.setattr(av, "open", counting)
    return calls


def _publish_video_post(task, webhook):
    from social_media.delivery import post_publish
    from tasks.models import SocialMediaPost

    # One post per task and platform: a repeat publish is a new post after the old one.
    SocialMediaPost.objects.filter(task=task, platform="tiktok").delete()
    post = SocialMediaPost.objects.create(task=task, platform="tiktok", webhook=webhook)
    return post_publish(post_id=post.pk)


def test_a_second_publish_does_not_decode_the_video_again(mocked_responses, av_opens):
    mocked_responses.post(MAKE, body="Accepted")
    first, second = (WebhookFactory(url=MAKE, target_platforms=["tiktok"]) for _ in range(2))
    task = TaskFactory()

    assert _publish_video_post(task, first).status == "processing"
    reads = [mode for mode in av_opens if mode == "r"]
    assert len(reads) == 1  # the first publish reads the stored MP4 back once
    row = RenderedFile.objects.get(kind="video")
    assert row.verified_at is not None

    av_opens.clear()
    assert _publish_video_post(task, second).status == "processing"
    assert av_opens == []  # neither encoded nor decoded: the row and storage.size sufficed
    assert len(mocked_responses.calls) == 2


def test_a_verified_render_replaced_in_storage_is_read_again_and_refused(
    mocked_responses, av_opens
):
    mocked_responses.post(MAKE, body="Accepted")
    first, second = (WebhookFactory(url=MAKE, target_platforms=["tiktok"]) for _ in range(2))
    task = TaskFactory()
    assert _publish_video_post(task, first).status == "processing"
    row = RenderedFile.objects.get(kind="video")
    # Behind the row's back the file becomes something else (a PNG under the .mp4 name).
    default_storage.delete(row.name)
    default_storage.save(row.name, ContentFile(picture(50, 50)))
    av_opens.clear()

    post = _publish_video_post(task, second)

    assert av_opens == ["r"]  # the size no longer matches the row: the file is read again
    assert post.status == "failed" and post.failure_kind == "permanent"
    assert "does not fit TikTok: it is png in png_pipe, not H.264 in MP4" in post.error_message
    assert len(mocked_responses.calls) == 1  # only the first publish was sent


def test_a_verified_render_is_still_checked_against_each_spec(mocked_responses, monkeypatch):
    """Trusting the row skips the decode, not the spec: a tighter limit still refuses it."""
    from dataclasses import replace as dc_replace

    mocked_responses.post(MAKE, body="Accepted")
    first, second = (WebhookFactory(url=MAKE, target_platforms=["tiktok"]) for _ in range(2))
    task = TaskFactory()
    assert _publish_video_post(task, first).status == "processing"
    row = RenderedFile.objects.get(kind="video")
    assert row.verified_at is not None and row.duration is not None
    [spec] = PLATFORMS["tiktok"].media_requirements
    # TikTok now asks for a shorter clip than the stored one lasts.
    shorter = dc_replace(spec, min_duration=None, max_duration=row.duration - 1)
    monkeypatch.setattr(PLATFORMS["tiktok"], "media_requirements", (shorter,))
    monkeypatch.setattr("social_media.media.render_spec", lambda s: spec)  # reuse the stored one

    post = _publish_video_post(task, second)

    assert post.status == "failed" and post.failure_kind == "permanent"
    assert "more than" in post.error_message and " s" in post.error_message
    assert len(mocked_responses.calls) == 1


def test_the_pre_render_job_reads_each_file_back_once_so_publishing_decodes_nothing(
    mocked_responses, av_opens
):
    from social_media.media import tasks_render_media

    mocked_responses.post(MAKE, body="Accepted")
    webhook = WebhookFactory(url=MAKE, target_platforms=["tiktok"])
    task = TaskFactory(published=True)
    assert tasks_render_media(task_ids=[task.pk]) == {"rendered": 1, "failed": 0}
    assert [mode for mode in av_opens if mode == "r"] == ["r"]  # read back once, there
    row = RenderedFile.objects.get(kind="video")
    assert row.verified_at is not None

    av_opens.clear()
    assert _publish_video_post(task, webhook).status == "processing"
    assert av_opens == []  # the media step's own row lookup was trusted: no decode
    assert len(mocked_responses.calls) == 1


def test_a_render_remade_because_its_file_went_is_read_back_before_it_is_sent(
    mocked_responses, av_opens
):
    """The media step's rows are current: a verified row whose file had gone is re-rendered,
    and the new file is read back (not trusted on the old row's mark)."""
    mocked_responses.post(MAKE, body="Accepted")
    first, second = (WebhookFactory(url=MAKE, target_platforms=["tiktok"]) for _ in range(2))
    task = TaskFactory()
    assert _publish_video_post(task, first).status == "processing"
    row = RenderedFile.objects.get(kind="video")
    assert row.verified_at is not None
    default_storage.delete(row.name)
    av_opens.clear()

    assert _publish_video_post(task, second).status == "processing"

    assert "r" in av_opens  # the new file was read back before it was sent
    assert default_storage.exists(row.name)
    assert RenderedFile.objects.get(kind="video").verified_at is not None
    assert len(mocked_responses.calls) == 2
