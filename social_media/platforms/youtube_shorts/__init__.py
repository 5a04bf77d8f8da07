"""YouTube Shorts: the Data API v3 route (resumable ``videos.insert``, see ``platform.py``) or a
Make.com / Zapier scenario (the webhook route); plain declarations in ``conf.py``."""
