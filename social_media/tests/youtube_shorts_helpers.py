"""What the YouTube Shorts tests at the HTTP boundary share: Google's URLs and answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from webhooks.models import SocialMediaCredentials

API = "https://www.googleapis.com/youtube/v3"
UPLOAD = "https://www.googleapis.com/upload/youtube/v3/videos"
TOKEN_URL = "https://oauth2.googleapis.com/token"
ACCESS = "ya29.a0AfH6SMBtestAccessToken0123456789"
REFRESH = "1//0gTestRefreshToken0123456789"
CHANNEL = "UCquizDemoChannel0000001"


def google_error(
    status: int, reason: str, message: str = "m", domain: str = "youtube.video"
) -> dict[str, Any]:
    """Google's error envelope."""
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


def use_google(settings: Any) -> None:
    """Point the product at Google's real hosts (stubbed by ``responses``), with a client."""
    settings.YOUTUBE_API_BASE_URL = API
    settings.YOUTUBE_UPLOAD_URL = UPLOAD
    settings.GOOGLE_OAUTH_TOKEN_URL = TOKEN_URL
    settings.GOOGLE_CLIENT_ID = "client-id.apps.googleusercontent.com"
    settings.GOOGLE_CLIENT_SECRET = "GOCSPX-testsecret"


def youtube_credential(**fields: Any) -> SocialMediaCredentials:
    """A YouTube credential whose access token expires in two minutes (unless told)."""
    values = {
        "platform": "youtube_shorts",
        "access_token": ACCESS,
        "refresh_token": REFRESH,
        "extra_data": {"channel_id": CHANNEL, "privacy_status": "public"},
        "token_expires_at": datetime.now(UTC) + timedelta(minutes=2),
    }
    return SocialMediaCredentials.objects.create(**(values | fields))
