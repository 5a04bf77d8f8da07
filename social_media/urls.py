from django.urls import URLPattern, path

from social_media.api import SocialMediaCallbackApi
from social_media.platforms.registry import PLATFORMS

urlpatterns: list[URLPattern] = [
    path(
        "social-media-callback/",
        SocialMediaCallbackApi.as_view(),
        name="social-media-callback",
    ),
    # Each platform's own endpoints (BasePlatform.urls), e.g. its bot's updates.
    *[pattern for platform in PLATFORMS.values() for pattern in platform.urls()],
]
