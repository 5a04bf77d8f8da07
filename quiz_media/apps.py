from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizMediaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "quiz_media"
    verbose_name = _("Quiz media")
