"""Brand settings in the admin (validation, singleton) and ``manage.py render_task_media``."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from quiz_media.models import BrandSettings, RenderedFile
from quiz_media.validators import LOGO_MAX_BYTES
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def png_upload(name: str = "logo.png", size: tuple[int, int] = (120, 60)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def noise_png_over_the_limit() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000)).save(buffer, "PNG")
    assert buffer.tell() > LOGO_MAX_BYTES
    return SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")


def form_data(**overrides):
    data = {
        "site_name": "My Quiz",
        "primary_color": "#112233",
        "accent_color": "#abcdef",
        "background_color": "",
    }
    data.update(overrides)
    return data


def test_brand_settings_list_opens_the_single_row(staff):
    url = reverse("admin:quiz_media_brandsettings_changelist")
    response = staff.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:quiz_media_brandsettings_add")

    response = staff.post(
        reverse("admin:quiz_media_brandsettings_add"), form_data(logo=png_upload())
    )
    assert response.status_code == 302
    brand = BrandSettings.objects.get()
    assert (
        brand.pk == 1
        and brand.accent_color == "#ABCDEF"
        and (brand.logo.name or "").startswith("brand/")
    )
    assert staff.get(url)["Location"] == reverse("admin:quiz_media_brandsettings_change", args=[1])
    assert staff.get(reverse("admin:quiz_media_brandsettings_add")).status_code == 403
    assert staff.get(reverse("admin:quiz_media_brandsettings_delete", args=[1])).status_code == 403


@pytest.mark.parametrize("colour", ["red", "#12345", "#GGGGGG", "112233"])
def test_a_colour_that_is_not_rrggbb_is_a_form_error(staff, colour):
    response = staff.post(
        reverse("admin:quiz_media_brandsettings_add"), form_data(primary_color=colour)
    )
    assert response.status_code == 200
    assert "Enter a colour as #RRGGBB" in response.content.decode()
    assert not BrandSettings.objects.exists()


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            SimpleUploadedFile("logo.png", b"<?php echo 1; ?>", content_type="image/png"),
            "valid image",
        ),
        (noise_png_over_the_limit(), "at most 2048 KB are allowed"),
    ],
)
def test_a_logo_that_is_not_an_image_or_too_large_is_refused(staff, upload, message):
    response = staff.post(reverse("admin:quiz_media_brandsettings_add"), form_data(logo=upload))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BrandSettings.objects.exists()


def test_a_logo_with_too_many_pixels_is_refused(staff):
    response = staff.post(
        reverse("admin:quiz_media_brandsettings_add"), form_data(logo=png_upload(size=(5000, 4000)))
    )
    assert response.status_code == 200
    assert "at most 4096×4096" in response.content.decode()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width``×``height`` (a decompression bomb's shape)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def real_bomb_png() -> bytes:
    """A real 8000×8000 PNG of one colour: a few KB on disk, 64 megapixels decoded."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000), 0).save(buffer, "PNG")
    assert buffer.tell() < 100_000
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "The submitted file is empty."),
        (png_claiming(30_000, 30_000), "valid image"),  # Pillow refuses it as a bomb
        (png_claiming(10_000, 10_000), "at most 4096×4096"),  # Pillow only warns
        (real_bomb_png(), "at most 4096×4096"),
    ],
    ids=["zero-bytes", "bomb-header", "bomb-warning", "bomb-real"],
)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_empty_or_bomb_logo_is_a_form_error_and_saves_nothing(staff, body, message):
    upload = SimpleUploadedFile("logo.png", body, content_type="image/png")

    response = staff.post(reverse("admin:quiz_media_brandsettings_add"), form_data(logo=upload))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BrandSettings.objects.exists()


def test_a_bad_logo_on_the_change_form_keeps_the_saved_logo(staff):
    staff.post(reverse("admin:quiz_media_brandsettings_add"), form_data(logo=png_upload()))
    brand = BrandSettings.objects.get()
    saved_logo = brand.logo.name or ""
    assert saved_logo.startswith("brand/")
    url = reverse("admin:quiz_media_brandsettings_change", args=[brand.pk])
    bomb = SimpleUploadedFile("logo.png", png_claiming(30_000, 30_000), content_type="image/png")

    response = staff.post(url, form_data(site_name="Changed", logo=bomb))

    assert response.status_code == 200
    brand.refresh_from_db()
    assert (brand.site_name, brand.logo.name) == ("My Quiz", saved_logo)


def test_admin_messages_are_translated(staff):
    response = staff.post(
        reverse("admin:quiz_media_brandsettings_add"),
        form_data(primary_color="red", logo=png_upload(size=(5000, 4000))),
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    page = response.content.decode()
    assert "Укажите цвет в виде #RRGGBB" in page
    assert "допускается не больше 4096×4096" in page
    assert "Настройки бренда" in page


def test_render_task_media_prints_where_each_file_is():
    task = TaskFactory()
    out = io.StringIO()
    call_command(
        "render_task_media",
        str(task.pk),
        "--spec=question_card:540x675",
        "--spec=answer_card:540x675:jpeg",
        "--spec=video:180x320",
        stdout=out,
    )
    text = out.getvalue()
    rows = {row.kind: row for row in RenderedFile.objects.all()}
    assert set(rows) == {"question_card", "answer_card", "video"}
    for row in rows.values():
        assert f"https://quiz.example.com/media/{row.name}" in text
    assert "540×675, image/png" in text and "540×675, image/jpeg" in text
    assert "180×320, video/mp4" in text and "15.0 s" in text
    # A second run reuses the files.
    call_command("render_task_media", str(task.pk), "--spec=video:180x320", stdout=io.StringIO())
    assert RenderedFile.objects.count() == 3


def test_render_task_media_defaults_and_errors():
    with pytest.raises(CommandError, match="There is no task with id 999999"):
        call_command("render_task_media", "999999", stdout=io.StringIO())
    task = TaskFactory()
    with pytest.raises(CommandError, match="use KIND"):
        call_command("render_task_media", str(task.pk), "--spec=poster", stdout=io.StringIO())
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 media could not be rendered"):
        call_command(
            "render_task_media",
            str(task.pk),
            "--spec=video:181x320",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "even width and height" in err.getvalue()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["99999999999999999999999"], "There is no task with id 99999999999999999999999"),
        (["-1"], "There is no task with id -1"),
        (["abc"], "invalid int value"),
        (["{task}", "--spec=video:0x0"], "1 of 1 media could not be rendered"),
        (["{task}", "--spec=video:99999999999999999999x2"], "1 of 1 media could not be rendered"),
        (["{task}", "--spec=question_card:1080x1350:gif"], "use KIND"),
        (["{task}", "--spec=video:1080x1920:png"], "1 of 1 media could not be rendered"),
    ],
)
def test_render_task_media_bad_arguments_are_a_command_error_and_store_nothing(args, words):
    task = TaskFactory()
    errors = io.StringIO()
    with pytest.raises(CommandError, match=words):
        call_command(
            "render_task_media",
            *[a.format(task=task.pk) for a in args],
            stdout=io.StringIO(),
            stderr=errors,
        )
    assert not RenderedFile.objects.exists()


def test_rendered_files_are_listed_read_only(staff):
    from quiz_media.services import render
    from quiz_media.tests.helpers import SMALL_CARD

    media = render(TaskFactory(), SMALL_CARD)
    row = RenderedFile.objects.get()
    page = staff.get(reverse("admin:quiz_media_renderedfile_changelist"))
    assert page.status_code == 200
    assert media.name in page.content.decode() and "540×675" in page.content.decode()
    detail = staff.get(reverse("admin:quiz_media_renderedfile_change", args=[row.pk]))
    assert detail.status_code == 200
    assert f'href="{media.url}"' in detail.content.decode()
    assert staff.get(reverse("admin:quiz_media_renderedfile_add")).status_code == 403
