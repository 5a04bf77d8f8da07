"""Facebook (Graph API, Pages): see ``platform.py``; plain declarations in ``conf.py``."""
