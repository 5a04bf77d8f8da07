"""The Connect button's settings for VK (VK ID), read before Django starts.

Apart from ``conf.py`` so the Connect flow adds them without touching it. VK ID's code and
refresh grants take no client secret (PKCE instead): only the app id is set. ``local``: the
value in the local run (the emulator's provider, emulator/oauth.py). The VK API base URL is
``conf.py``'s ``VK_API_BASE_URL``.
"""

from social_media.platforms.spec import SecretPattern, Setting

SETTINGS = (
    # The VK ID app's id (id.vk.com → the app; type "Web").
    Setting("VK_CLIENT_ID", local="51234567"),
    Setting(
        "VK_OAUTH_AUTHORIZE_URL",
        "https://id.vk.com/authorize",
        local="{emulator}/oauth/vkid/authorize",
    ),
    Setting(
        "VK_OAUTH_TOKEN_URL", "https://id.vk.com/oauth2/auth", local="{emulator}/vkid/oauth2/auth"
    ),
)

SECRET_PATTERNS = (
    # VK ID access and refresh tokens (vk2.a., vk2.r.)
    SecretPattern(r"\b(vk2\.[ar]\.)([A-Za-z0-9._-]{10,})"),
)
