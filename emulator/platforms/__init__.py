"""Platform stand-ins, one module per platform; ``native`` registers Instagram, YouTube and
TikTok (see emulator/README.md)."""
