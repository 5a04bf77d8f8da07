"""Instagram's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import TextLimits

# Instagram captions: 2,200 characters and 30 hashtags.
TEXT_LIMITS = TextLimits(title=255, description=2200, max_hashtags=30)
