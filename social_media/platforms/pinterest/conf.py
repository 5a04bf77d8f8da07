"""Pinterest's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import SecretPattern, Setting, TextLimits

# Pinterest v5 PinCreate schema: title 100, description 800, alt_text 500.
TEXT_LIMITS = TextLimits(title=100, description=800, alt_text=500, max_hashtags=10)

SETTINGS = (
    # Pinterest's sandbox is https://api-sandbox.pinterest.com/v5
    Setting(
        "PINTEREST_API_BASE_URL",
        "https://api.pinterest.com/v5",
        local="{emulator}/pinterest/v5",
    ),
    # Public page of a pin; "{id}" is replaced by the pin id (the local emulator serves its own).
    Setting(
        "PINTEREST_PIN_URL", "https://www.pinterest.com/pin/{id}/", local="{emulator}/pin/{id}/"
    ),
    # Pinterest app credentials: the Connect button and refreshing access tokens (unset:
    # no Connect button, no automatic refresh). The token endpoint is {API base}/oauth/token.
    # In the local run: demo app credentials, the consent page of the emulator (emulator/oauth.py).
    Setting("PINTEREST_CLIENT_ID", local="1500123"),
    Setting("PINTEREST_CLIENT_SECRET", local="demo-pinterest-app-secret"),
    Setting(
        "PINTEREST_OAUTH_AUTHORIZE_URL",
        "https://www.pinterest.com/oauth/",
        local="{emulator}/oauth/pinterest/authorize",
    ),
    # Refresh a Pinterest access token this many days before it expires.
    Setting("PINTEREST_REFRESH_BEFORE_DAYS", 5, type="int", minimum=1),
)

SECRET_PATTERNS = (
    # Pinterest access and refresh tokens
    SecretPattern(r"\b(pina|pinr)(_[A-Za-z0-9._-]{8,})"),
)
