from django.urls import path

from social_media.api import SocialMediaCallbackApi

urlpatterns = [
    path(
        "social-media-callback/",
        SocialMediaCallbackApi.as_view(),
        name="social-media-callback",
    ),
]
