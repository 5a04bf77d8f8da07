"""Platform stand-ins, one module per platform; ``native`` registers Instagram, YouTube and
TikTok, and server.py mounts Telegram and VK (see emulator/README.md)."""
