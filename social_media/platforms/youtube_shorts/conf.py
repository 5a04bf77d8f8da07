"""YouTube Shorts's plain declarations, read before Django starts (see ``platforms/spec.py``)."""

from social_media.platforms.spec import TextLimits

# YouTube titles: 100 characters; descriptions: 5,000.
TEXT_LIMITS = TextLimits(title=100, description=5000, max_hashtags=15)
