"""find_rendered(): the lookup pages use, on the same key as render(); it never renders."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage, default_storage

from quiz_media import services
from quiz_media.services import find_rendered, render
from quiz_media.specs import MediaStorageError
from quiz_media.tests.helpers import SMALL_ANSWER, SMALL_CARD, SMALL_VIDEO, CountingStorage
from social_media.media import existing_media, render_spec
from social_media.platforms.registry import PLATFORMS
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

COUNTING = "quiz_media.tests.helpers.CountingStorage"


class UnreachableStorage(FileSystemStorage):
    """A storage whose backend is down for every lookup."""

    def exists(self, name):
        raise ConnectionError("storage is down")


@pytest.fixture
def counting_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": COUNTING}}
    CountingStorage.saves = 0
    return CountingStorage


@pytest.mark.parametrize("spec", [SMALL_CARD, SMALL_ANSWER, SMALL_VIDEO])
def test_lookup_finds_exactly_what_render_stored_and_never_renders(counting_storage, spec):
    task = TaskFactory()

    assert find_rendered(task, spec) is None
    assert counting_storage.saves == 0

    media = render(task, spec)
    assert counting_storage.saves == 1
    assert find_rendered(task, spec) == media
    assert counting_storage.saves == 1


def test_lookup_follows_an_edit_like_render(counting_storage):
    task = TaskFactory(question="Old question?")
    render(task, SMALL_CARD)
    task.question = "New question?"

    assert find_rendered(task, SMALL_CARD) is None
    assert render(task, SMALL_CARD) == find_rendered(task, SMALL_CARD)


def test_lookup_and_render_share_one_key_function(monkeypatch):
    """Whatever render() keys its files on, the lookup uses too (they cannot drift)."""
    task = TaskFactory()
    real = services.cache_key
    monkeypatch.setattr(services, "cache_key", lambda *a, **kw: real(*a, **kw)[::-1])
    media = render(task, SMALL_CARD)
    assert (
        media.cache_key
        == real(services.content_for(task), SMALL_CARD, services.current_brand())[::-1]
    )
    assert find_rendered(task, SMALL_CARD) == media


def test_task_page_preview_finds_the_worker_render_for_every_platform_spec():
    task = TaskFactory(image_url="")
    platform = PLATFORMS["pinterest"]
    [spec] = [s for s in platform.media_requirements if s.kind == "question_card"]

    assert all(p.rendered is None for p in existing_media(task, platform))
    media = render(task, render_spec(spec))  # what post_media_resolve renders

    [preview] = [p for p in existing_media(task, platform) if p.spec.kind == "question_card"]
    assert preview.rendered == media


def test_a_file_deleted_from_storage_is_not_found():
    task = TaskFactory()
    media = render(task, SMALL_CARD)
    default_storage.delete(media.name)

    assert find_rendered(task, SMALL_CARD) is None


def test_an_unreachable_storage_is_no_render_for_the_lookup_but_an_error_for_render(settings):
    task = TaskFactory()
    render(task, SMALL_CARD)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "quiz_media.tests.test_find_rendered.UnreachableStorage"},
    }

    assert find_rendered(task, SMALL_CARD) is None
    with pytest.raises(MediaStorageError):
        render(task, SMALL_CARD)
