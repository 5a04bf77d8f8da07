"""TikTok's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import TextLimits

# TikTok captions: 2,200 characters.
TEXT_LIMITS = TextLimits(title=150, description=2200, max_hashtags=20)
