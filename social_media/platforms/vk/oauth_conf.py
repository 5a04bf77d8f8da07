"""The Connect button's settings for VK (VK ID), read before Django starts.

Apart from ``conf.py`` so the Connect flow adds them without touching it; a name that
``conf.py`` declares too is taken from ``conf.py`` (``spec.platform_settings``). VK ID's code
and refresh grants take no client secret (PKCE instead): only the app id is set.
"""

from social_media.platforms.spec import SecretPattern, Setting

SETTINGS = (
    # The VK ID app's id (id.vk.com → the app; type "Web").
    Setting("VK_CLIENT_ID"),
    Setting("VK_OAUTH_AUTHORIZE_URL", "https://id.vk.com/authorize"),
    Setting("VK_OAUTH_TOKEN_URL", "https://id.vk.com/oauth2/auth"),
    # The VK API (the Connect flow lists the communities the user administers there).
    Setting("VK_API_BASE_URL", "https://api.vk.com/method"),
)

SECRET_PATTERNS = (
    # VK ID access and refresh tokens (vk2.a., vk2.r.)
    SecretPattern(r"\b(vk2\.[ar]\.)([A-Za-z0-9._-]{10,})"),
)
