"""Yandex Dzen: a webhook platform (its scenario posts; the callback reports the result)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from social_media.platforms.webhook import WebhookPlatform
from social_media.platforms.yandex_dzen import conf


class YandexDzenPlatform(WebhookPlatform):
    key = "yandex_dzen"
    label = _("Yandex Dzen")
    text_limits = conf.TEXT_LIMITS


PLATFORM = YandexDzenPlatform()
