"""Yandex Dzen's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import TextLimits

TEXT_LIMITS = TextLimits(title=140, description=10000)
