from django.urls import path

from webhooks.api import SocialMediaCallbackApi

urlpatterns = [
    path(
        "social-media-callback/",
        SocialMediaCallbackApi.as_view(),
        name="social-media-callback",
    ),
]
