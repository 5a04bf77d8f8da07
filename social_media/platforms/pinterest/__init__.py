"""Pinterest (API v5): see ``platform.py``; plain declarations in ``conf.py``."""
