"""The Connect button's settings for TikTok (Login Kit v2), read before Django starts.

Apart from ``conf.py`` so the Connect flow adds them without touching it; a name that
``conf.py`` declares too is taken from ``conf.py`` (``spec.platform_settings``). ``local``:
the value in the local run (the emulator's provider, emulator/oauth.py).
"""

from social_media.platforms.spec import SecretPattern, Setting

SETTINGS = (
    # The TikTok app's client key and secret (developers.tiktok.com → the app → Credentials).
    Setting("TIKTOK_CLIENT_KEY", local="awdemoclientkey"),
    Setting("TIKTOK_CLIENT_SECRET", local="demo-tiktok-client-secret"),
    Setting(
        "TIKTOK_OAUTH_AUTHORIZE_URL",
        "https://www.tiktok.com/v2/auth/authorize/",
        local="{emulator}/oauth/tiktok/authorize",
    ),
    # The API host: the token endpoint is {base}/v2/oauth/token/.
    Setting("TIKTOK_API_BASE_URL", "https://open.tiktokapis.com", local="{emulator}/tiktok"),
)

SECRET_PATTERNS = (
    # TikTok access (act.) and refresh (rft.) tokens
    SecretPattern(r"\b(act\.|rft\.)([A-Za-z0-9._-]{10,})"),
)
