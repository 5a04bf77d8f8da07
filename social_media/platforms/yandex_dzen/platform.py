"""Yandex Dzen: a webhook platform (its scenario posts; the callback reports the result)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from quiz_media.specs import MediaSpec
from social_media.platforms.base import SuggestedPace
from social_media.platforms.webhook import WebhookPlatform
from social_media.platforms.yandex_dzen import conf

MB = 1024 * 1024


class YandexDzenPlatform(WebhookPlatform):
    key = "yandex_dzen"
    label = _("Yandex Dzen")
    text_limits = conf.TEXT_LIMITS
    suggested_pace = SuggestedPace(1800, 12)  # bursts flood the feed
    # Yandex Dzen has no public API and no published image limits: the scenario gets the
    # 4:5 JPEG cards Instagram takes.
    media_requirements = (
        MediaSpec("question_card", 1080, 1350, "jpeg", 8 * MB),
        MediaSpec("answer_card", 1080, 1350, "jpeg", 8 * MB),
    )


PLATFORM = YandexDzenPlatform()
