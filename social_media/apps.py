from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from quiz_backend import platform_catalog


class SocialMediaConfig(AppConfig):
    name = "social_media"
    verbose_name = _("Social media publishing")

    def ready(self) -> None:
        # The registry imports the models, so it is imported once they are loaded.
        from social_media.platforms.registry import PLATFORMS

        platform_catalog.install(PLATFORMS)
