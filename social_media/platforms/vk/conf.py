"""VK's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import SecretPattern, Setting, TextLimits

# wall.post ``message``: VK publishes no number; 16384 characters is what the emulator
# takes (docs/platform-api-facts-native.md §5). The post is found again by its task link.
TEXT_LIMITS = TextLimits(title=100, description=16384, max_hashtags=10, link_in_description=True)

SETTINGS = (
    # https://dev.vk.com/en/api/api-requests ("api.vk.ru" is the alternative host)
    Setting("VK_API_BASE_URL", "https://api.vk.com/method", local="{emulator}/vk/method"),
    Setting("VK_API_VERSION", "5.199"),
    # Public page of a wall post; "{group_id}" and "{post_id}" are replaced.
    Setting(
        "VK_POST_URL",
        "https://vk.com/wall-{group_id}_{post_id}",
        local="{emulator}/vk/wall-{group_id}_{post_id}",
    ),
    # Calls per second per token: VK allows a user token 3 (the worker waits at most about
    # a second for a free slot, else the post is retried later).
    Setting("VK_REQUESTS_PER_SECOND", 3, type="int", minimum=1),
)

SECRET_PATTERNS = (
    # VK ID / OAuth access tokens: "vk1.a.<base64url>"
    SecretPattern(r"\b(vk1\.a\.)([A-Za-z0-9_-]{8,})"),
)
