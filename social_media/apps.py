from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialMediaConfig(AppConfig):
    name = "social_media"
    verbose_name = _("Social media publishing")
