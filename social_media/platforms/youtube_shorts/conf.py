"""YouTube Shorts's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import SecretPattern, Setting, TextLimits

# YouTube titles: 100 characters; descriptions: 5,000 bytes (facts doc §2.2).
TEXT_LIMITS = TextLimits(title=100, description=5000, max_hashtags=15)

# Chunks other than the last must be multiples of 256 KiB (Google's resumable upload rule).
CHUNK_GRANULARITY = 256 * 1024

SETTINGS = (
    # YouTube Data API v3 (https://developers.google.com/youtube/v3/docs).
    Setting(
        "YOUTUBE_API_BASE_URL",
        "https://www.googleapis.com/youtube/v3",
        local="{emulator}/youtube/v3",
    ),
    # Where videos.insert starts a resumable upload session.
    Setting(
        "YOUTUBE_UPLOAD_URL",
        "https://www.googleapis.com/upload/youtube/v3/videos",
        local="{emulator}/upload/youtube/v3/videos",
    ),
    # Public page of a Short; "{id}" is replaced by the video id (the emulator serves its own).
    Setting(
        "YOUTUBE_SHORT_URL",
        "https://www.youtube.com/shorts/{id}",
        local="{emulator}/youtube/shorts/{id}",
    ),
    # Google's OAuth 2.0 token endpoint (refreshing the hour-long access tokens).
    Setting(
        "GOOGLE_OAUTH_TOKEN_URL",
        "https://oauth2.googleapis.com/token",
        local="{emulator}/google/oauth2/token",
    ),
    # The Google Cloud project's OAuth client (unset: tokens are not refreshed).
    Setting("GOOGLE_CLIENT_ID"),
    Setting("GOOGLE_CLIENT_SECRET"),
    # Bytes per upload request; rounded down to a multiple of 256 KiB (at least 256 KiB).
    Setting("YOUTUBE_UPLOAD_CHUNK_SIZE", 8 * 1024 * 1024, type="int", minimum=CHUNK_GRANULARITY),
    # videos.insert calls a Google project may make per Pacific day (its own quota bucket).
    Setting("YOUTUBE_DAILY_UPLOAD_LIMIT", 100, type="int", minimum=1),
)

SECRET_PATTERNS = (
    # Google OAuth access tokens (ya29.…) and refresh tokens (1//…)
    SecretPattern(r"\b(ya29\.)([A-Za-z0-9._-]{8,})"),
    SecretPattern(r"(?<![A-Za-z0-9/])(1//)([A-Za-z0-9._-]{8,})"),
    # A resumable upload session URI is a capability: whoever has it can upload into it.
    SecretPattern(r"\b(upload_id=)([A-Za-z0-9._-]{8,})"),
)
