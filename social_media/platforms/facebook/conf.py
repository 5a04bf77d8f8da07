"""Facebook's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import SecretPattern, Setting, TextLimits

# Facebook post messages accept 63,206 characters.
TEXT_LIMITS = TextLimits(title=255, description=63206, link_in_description=True)

SETTINGS = (
    # Graph API v26.0 (released 2026-07-29) is the current version; see
    # https://developers.facebook.com/docs/graph-api/changelog/versions/
    Setting(
        "FACEBOOK_GRAPH_API_BASE_URL",
        "https://graph.facebook.com/v26.0",
        local="{emulator}/facebook/v26.0",
    ),
    Setting("FACEBOOK_APP_SECRET", local="demo-facebook-app-secret"),
    # With FACEBOOK_APP_SECRET, lets "test connection" ask Graph debug_token about a page token,
    # and the Connect button sign in with Facebook Login (the token endpoint is
    # {Graph base}/oauth/access_token). The local run: the emulator's app and consent page.
    Setting("FACEBOOK_APP_ID", local="1234567890123456"),
    Setting(
        "FACEBOOK_OAUTH_AUTHORIZE_URL",
        "https://www.facebook.com/v26.0/dialog/oauth",
        local="{emulator}/oauth/facebook/authorize",
    ),
)

SECRET_PATTERNS = (
    # Facebook access tokens start with EAA
    SecretPattern(r"\b(EAA)([A-Za-z0-9]{20,})"),
)
