"""TikTok's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import SecretPattern, Setting, TextLimits

# TikTok captions (post_info.title): 2,200 UTF-16 runes.
TEXT_LIMITS = TextLimits(title=150, description=2200, max_hashtags=20)

MIB = 1024 * 1024

SETTINGS = (
    # Content Posting API host; the local emulator serves it at http://127.0.0.1:8025/tiktok
    Setting("TIKTOK_API_BASE_URL", "https://open.tiktokapis.com", local="{emulator}/tiktok"),
    # Public page of a video; "{username}" and "{id}" are replaced (the emulator serves its own).
    Setting(
        "TIKTOK_VIDEO_URL",
        "https://www.tiktok.com/@{username}/video/{id}",
        local="{emulator}/tiktok/@{username}/video/{id}",
    ),
    # TikTok app (Login Kit) key and secret, for refreshing access tokens (unset: no refresh).
    Setting("TIKTOK_CLIENT_KEY"),
    Setting("TIKTOK_CLIENT_SECRET"),
    # Refresh an access token (2 hours) this many minutes before it expires; the refresh job
    # runs hourly, so more than 60 keeps every token refreshed before it lapses.
    Setting("TIKTOK_REFRESH_BEFORE_MINUTES", 90, type="int", minimum=1),
    # FILE_UPLOAD chunk size in bytes (TikTok: 5-64 MB; a video up to this size goes in one).
    Setting("TIKTOK_UPLOAD_CHUNK_BYTES", 10 * MIB, type="int", minimum=1),
    # How many bytes one publish step uploads before it hands the worker back.
    Setting("TIKTOK_UPLOAD_BYTES_PER_STEP", 64 * MIB, type="int", minimum=1),
)

SECRET_PATTERNS = (
    # TikTok user access tokens ("act.…") and refresh tokens ("rft.…")
    # (the upload URL's ?upload_token=… is masked by the generic token=value rule)
    SecretPattern(r"\b(act|rft)(\.[A-Za-z0-9._!*~-]{8,})"),
)
