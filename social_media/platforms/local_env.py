"""``python -m social_media.platforms.local_env <emulator URL>``: shell exports for the local run.

Prints ``export NAME=value`` for every platform setting that declares its local-run value
(``Setting.local``), so ``scripts/run`` points each platform at the emulator without
naming any. Imports nothing but the platforms' ``conf.py`` modules (no Django).
"""

from __future__ import annotations

import shlex
import sys

from social_media.platforms.spec import local_run_settings


def exports(emulator_url: str) -> str:
    return "\n".join(
        f"export {name}={shlex.quote(value)}"
        for name, value in local_run_settings(emulator_url).items()
    )


if __name__ == "__main__":  # pragma: no cover - exercised by scripts/run
    if len(sys.argv) != 2 or not sys.argv[1].startswith(("http://", "https://")):
        sys.exit("usage: python -m social_media.platforms.local_env http://127.0.0.1:8025")
    print(exports(sys.argv[1]))
