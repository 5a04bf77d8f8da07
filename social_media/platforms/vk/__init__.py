"""VK (API, community wall): see ``platform.py``; plain declarations in ``conf.py``."""
