from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from quiz_backend import platform_catalog


class SocialMediaConfig(AppConfig):
    name = "social_media"
    verbose_name = _("Social media publishing")

    def ready(self) -> None:
        # These import the models, so they are imported once the models are loaded.
        from social_media import signals
        from social_media.platforms.registry import PLATFORMS

        platform_catalog.install(PLATFORMS)
        signals.connect()
