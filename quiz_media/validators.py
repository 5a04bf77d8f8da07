"""Validation of uploaded brand logos: a real image (opened by Pillow), not too large."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 4096 * 4096
LOGO_FORMATS = {"PNG", "JPEG", "WEBP"}


def validate_logo(file: File) -> None:
    """Refuse files over 2 MB, files Pillow cannot open, and images over 4096×4096 pixels."""
    size = getattr(file, "size", None)
    if size is not None and size > LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo is %(size)s KB; at most %(max)s KB are allowed."),
            params={"size": size // 1024, "max": LOGO_MAX_BYTES // 1024},
            code="logo_too_large",
        )
    try:
        position = file.tell() if hasattr(file, "tell") else 0
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format or ""
            width, height = image.size
            image.verify()
        file.seek(position)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("The logo is not an image Pillow can read (use PNG, JPEG or WebP)."),
            code="logo_not_image",
        ) from None
    if image_format not in LOGO_FORMATS:
        raise ValidationError(_("The logo must be PNG, JPEG or WebP."), code="logo_format")
    if width * height > LOGO_MAX_PIXELS:
        raise ValidationError(
            _("The logo is %(width)s×%(height)s pixels; at most 4096×4096 are allowed."),
            params={"width": width, "height": height},
            code="logo_too_many_pixels",
        )
