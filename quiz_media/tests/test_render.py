"""render(): real PNGs and MP4s read back with Pillow and PyAV, caching, storage, concurrency."""

from __future__ import annotations

import io
from dataclasses import replace

import av
import pytest
from django.core.files.storage import default_storage

from quiz_media.cards import CORRECT_COLOR, parse_color
from quiz_media.models import BrandSettings, RenderedFile
from quiz_media.services import render
from quiz_media.specs import MediaRenderError, MediaSpec
from quiz_media.tests.helpers import (
    SMALL_ANSWER,
    SMALL_CARD,
    SMALL_VIDEO,
    CountingStorage,
    colour_share,
    mp4_top_level_atoms,
    open_png,
)
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

COUNTING = "quiz_media.tests.helpers.CountingStorage"


@pytest.fixture
def counting_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": COUNTING}}
    CountingStorage.saves = 0
    return CountingStorage


def read(media) -> bytes:
    with default_storage.open(media.name, "rb") as handle:
        return handle.read()


def test_question_card_is_a_png_of_the_spec_size_on_the_brand_background():
    task = TaskFactory(
        question="What does len('abc') return?", answers=["1", "2", "3", "4"], correct_answer="3"
    )
    media = render(task, SMALL_CARD)

    image = open_png(read(media))
    assert image.format == "PNG"
    assert image.size == (540, 675)
    assert (media.width, media.height, media.mime_type) == (540, 675, "image/png")
    assert media.bytes == len(read(media))
    assert media.name.startswith(f"renders/{media.cache_key[:2]}/{media.cache_key}")
    assert media.url == f"https://quiz.example.com/media/{media.name}"
    background = parse_color("#0F172A", "#000000")
    # The margins carry nothing but the background (below the top strip).
    assert colour_share(image, (0, 20, 20, 675), background, tolerance=0) == 1.0
    assert colour_share(image, (520, 20, 540, 675), background, tolerance=0) == 1.0
    assert colour_share(image, (0, 655, 540, 675), background, tolerance=0) == 1.0
    # The top strip is the brand's primary colour.
    assert colour_share(image, (0, 0, 540, 4), parse_color("#6366F1", "#000"), tolerance=0) == 1.0
    # No option is highlighted on the question card.
    assert colour_share(image, (0, 0, 540, 675), parse_color(CORRECT_COLOR, "#000")) == 0.0


def test_answer_card_highlights_the_correct_option_only():
    from quiz_media.cards import draw_card
    from quiz_media.services import content_for, current_brand

    task = TaskFactory(
        answers=["alpha", "beta", "gamma"], correct_answer="beta", explanation="Because."
    )
    media = render(task, SMALL_ANSWER)
    image = open_png(read(media))
    # Where the options are: the same drawing, done again (deterministic).
    layout = draw_card(content_for(task), current_brand(), "answer_card", 540, 675)
    assert layout.correct_index == 1
    green = parse_color(CORRECT_COLOR, "#000")
    boxes = layout.option_boxes
    assert len(boxes) == 3
    assert colour_share(image, boxes[1], green) > 0.5
    assert colour_share(image, boxes[0], green) == 0.0
    assert colour_share(image, boxes[2], green) == 0.0
    assert open_png(read(media)).tobytes() == layout.image.tobytes()


def test_video_is_h264_yuv420p_30fps_with_audio_and_moov_first():
    task = TaskFactory()
    media = render(task, SMALL_VIDEO)
    data = read(media)
    assert media.mime_type == "video/mp4"
    assert media.duration == pytest.approx(2.0)
    atoms = mp4_top_level_atoms(data)
    assert atoms.index("moov") < atoms.index("mdat")
    with av.open(io.BytesIO(data), mode="r") as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert (video.codec_context.width, video.codec_context.height) == (180, 320)
        assert video.average_rate == 30
        assert video.codec_context.colorspace == 1  # BT.709
        assert len(container.streams.audio) == 1
        assert container.streams.audio[0].codec_context.name == "aac"
        frames = len(list(container.decode(video=0)))
        assert frames == 60
        assert container.duration is not None
        assert container.duration / 1_000_000 == pytest.approx(2.0, abs=0.1)


def test_same_task_reuses_the_file_and_an_edit_makes_a_new_one(counting_storage):
    task = TaskFactory()
    first = render(task, SMALL_CARD)
    again = render(task, SMALL_CARD)
    assert again == first
    assert counting_storage.saves == 1
    assert RenderedFile.objects.count() == 1

    task.question = "A different question?"
    task.save()
    edited = render(task, SMALL_CARD)
    assert edited.name != first.name
    assert counting_storage.saves == 2
    assert default_storage.exists(first.name) and default_storage.exists(edited.name)


def test_brand_change_alters_the_cache_key(counting_storage):
    task = TaskFactory()
    before = render(task, SMALL_CARD)
    BrandSettings.objects.create(background_color="#FFFFFF")
    after = render(task, SMALL_CARD)
    assert after.cache_key != before.cache_key
    image = open_png(read(after))
    assert image.getpixel((2, 300)) == (255, 255, 255)


def test_spec_size_and_video_length_alter_the_cache_key(settings):
    task = TaskFactory()
    a = render(task, SMALL_CARD)
    b = render(task, replace(SMALL_CARD, width=600))
    assert a.cache_key != b.cache_key
    assert open_png(read(b)).size == (600, 675)


def test_unwritable_storage_gives_a_readable_error(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "quiz_media.tests.helpers.BrokenStorage"},
    }
    task = TaskFactory()
    with pytest.raises(MediaRenderError) as excinfo:
        render(task, SMALL_CARD)
    message = str(excinfo.value)
    assert "could not be stored" in message
    assert str(settings.MEDIA_ROOT) not in message
    assert not RenderedFile.objects.exists()


@pytest.mark.parametrize(
    "spec, message",
    [
        (MediaSpec("video", 181, 320, "mp4", 10**7), "even width and height"),
        (MediaSpec("video", 180, 320, "png", 10**7), "mp4"),
        (MediaSpec("question_card", 20, 20, "png", 10**7), "outside"),
        (MediaSpec("question_card", 540, 675, "mp4", 10**7), "png or jpeg"),
        (MediaSpec("video", 180, 320, "mp4", 10**7, None, 1.5), "at least 2 s"),
    ],
)
def test_impossible_specs_are_refused_readably(spec, message):
    with pytest.raises(MediaRenderError, match=message):
        render(TaskFactory(), spec)


def test_full_size_video_is_1080x1920_15_seconds_with_a_countdown_then_the_answer(settings):
    """The one full-size render: the platforms' real format, decoded frame by frame."""
    from quiz_media.specs import DEFAULT_SPECS

    settings.QUIZ_MEDIA_VIDEO_SECONDS = 15
    task = TaskFactory(answers=["1", "2", "3"], correct_answer="2", language="ru")
    media = render(task, DEFAULT_SPECS["video"])
    data = read(media)
    assert (media.width, media.height, media.duration) == (1080, 1920, 15.0)
    atoms = mp4_top_level_atoms(data)
    assert atoms.index("moov") < atoms.index("mdat")
    green = parse_color(CORRECT_COLOR, "#000")
    with av.open(io.BytesIO(data), mode="r") as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert (video.codec_context.width, video.codec_context.height) == (1080, 1920)
        assert video.average_rate == 30
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        assert audio.duration is not None and audio.time_base is not None
        assert float(audio.duration * audio.time_base) == pytest.approx(15.0, abs=0.1)
        assert container.duration is not None
        assert container.duration / 1_000_000 == pytest.approx(15.0, abs=0.1)
        samples = {}
        for n, frame in enumerate(container.decode(video=0)):
            if n in (0, 45, 299, 449):
                samples[n] = frame.to_image()
        assert n + 1 == 450
    # The countdown changes the picture from second to second; the answer shows the green
    # highlight, the question does not.
    assert samples[0].tobytes() != samples[45].tobytes()
    full = (0, 0, 1080, 1920)
    assert colour_share(samples[0], full, green, tolerance=12) == 0.0
    assert colour_share(samples[299], full, green, tolerance=12) == 0.0
    assert colour_share(samples[449], full, green, tolerance=12) > 0.01


def test_video_length_is_clamped_to_the_spec(settings):
    settings.QUIZ_MEDIA_VIDEO_SECONDS = 15
    media = render(TaskFactory(), replace(SMALL_VIDEO, min_duration=1.0, max_duration=3.0))
    assert media.duration == pytest.approx(3.0)
    settings.QUIZ_MEDIA_VIDEO_SECONDS = 1
    media = render(TaskFactory(), replace(SMALL_VIDEO, min_duration=2.5, max_duration=None))
    assert media.duration == pytest.approx(2.5, abs=1 / 30)


def test_a_truncated_leftover_under_the_final_name_is_replaced():
    from django.core.files.base import ContentFile

    task = TaskFactory()
    media = render(task, SMALL_CARD)
    data = read(media)
    RenderedFile.objects.all().delete()
    default_storage.delete(media.name)
    default_storage.save(media.name, ContentFile(data[:100]))  # a crash mid-write
    again = render(task, SMALL_CARD)
    assert again.name == media.name
    assert open_png(read(again)).size == (540, 675)
    assert default_storage.size(again.name) == again.bytes == media.bytes
