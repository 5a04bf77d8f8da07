"""Telegram (Bot API): see ``platform.py``; plain declarations in ``conf.py``."""
