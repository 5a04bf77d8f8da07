"""Instagram's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import SecretPattern, Setting, TextLimits

# Instagram captions: 2,200 characters, 30 hashtags (docs/platform-api-facts-native.md
# §1.4). The task link stays in the caption (it is not clickable on Instagram, but it is
# how a post whose worker died after media_publish is found again: see reconcile).
TEXT_LIMITS = TextLimits(title=255, description=2200, max_hashtags=30, link_in_description=True)

# The same Graph API version URL as FACEBOOK_GRAPH_API_BASE_URL's default (a test keeps
# them equal): Instagram professional accounts linked to a Facebook Page are published
# through graph.facebook.com ("Instagram API with Facebook Login").
GRAPH_API_BASE_URL = "https://graph.facebook.com/v26.0"

SETTINGS = (
    Setting("INSTAGRAM_GRAPH_API_BASE_URL", GRAPH_API_BASE_URL, local="{emulator}/instagram/v26.0"),
)

SECRET_PATTERNS = (
    # Instagram User tokens (Instagram Login) start with IGQV or IGAA; Facebook page and
    # user tokens (EAA…) are masked by the Facebook pattern.
    SecretPattern(r"\b(IGQV|IGAA)([A-Za-z0-9_-]{20,})"),
)
