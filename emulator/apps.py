from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmulatorConfig(AppConfig):
    name = "emulator"
    verbose_name = _("Platform emulator")
