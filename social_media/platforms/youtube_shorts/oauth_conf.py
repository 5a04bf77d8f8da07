"""The Connect button's settings for YouTube (Google OAuth 2.0), read before Django starts.

Apart from ``conf.py`` so the Connect flow adds them without touching it; a name that
``conf.py`` declares too is taken from ``conf.py`` (``spec.platform_settings``). ``local``:
the value in the local run (the emulator's provider, emulator/oauth.py).
"""

from social_media.platforms.spec import SecretPattern, Setting

SETTINGS = (
    # Google OAuth client (type "Web application") of the Google Cloud project.
    Setting("GOOGLE_CLIENT_ID", local="demo.apps.googleusercontent.com"),
    Setting("GOOGLE_CLIENT_SECRET", local="demo-google-client-secret"),
    Setting(
        "GOOGLE_OAUTH_AUTHORIZE_URL",
        "https://accounts.google.com/o/oauth2/v2/auth",
        local="{emulator}/oauth/google/authorize",
    ),
    Setting(
        "GOOGLE_OAUTH_TOKEN_URL",
        "https://oauth2.googleapis.com/token",
        local="{emulator}/google/oauth2/token",
    ),
    # YouTube Data API v3 (the Connect flow lists the account's channels there).
    Setting(
        "YOUTUBE_API_BASE_URL",
        "https://www.googleapis.com/youtube/v3",
        local="{emulator}/youtube/v3",
    ),
)

SECRET_PATTERNS = (
    # Google access tokens (ya29.) and refresh tokens (1//)
    SecretPattern(r"\b(ya29\.)([A-Za-z0-9._-]{10,})"),
    SecretPattern(r"(1//)([A-Za-z0-9._-]{10,})"),
)
