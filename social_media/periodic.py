"""Each platform's periodic upkeep (``BasePlatform.periodic_job``), run by one beat task."""

from __future__ import annotations

import logging

from social_media.platforms.registry import PLATFORMS

logger = logging.getLogger("social_media")


def platform_jobs_run() -> dict[str, dict[str, int]]:
    """Run every platform's ``periodic_job``; one that raises does not stop the others."""
    done: dict[str, dict[str, int]] = {}
    for key, platform in PLATFORMS.items():
        try:
            counts = platform.periodic_job()
        except Exception:
            logger.exception("Периодическая задача платформы %s упала", key)
            done[key] = {"error": 1}
            continue
        if counts is not None:
            done[key] = counts
    return done
