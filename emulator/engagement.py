"""Engagement that grows with a post's age, for the Pinterest and Facebook stand-ins.

Every pin and page post gains views at ``EmulatorState.engagement_rate`` per second of
age (default 1), and the rest follows from the views, so a local run's analytics page
fills up while you watch. ``engagement_offset`` adds seconds to every age (the tests'
clock: ``POST /_control/config {"advance_engagement_seconds": 3600}``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from emulator.state import EmulatorState

# Each count as a share of the views (rounded down).
SHARES = {
    "saves": 20,
    "pin_clicks": 10,
    "outbound_clicks": 25,
    "reactions": 12,
    "comments": 40,
    "shares": 60,
    "reach": 2,  # views from unique people: half the views
}


def age_seconds(state: EmulatorState, created: str, fmt: str) -> float:
    """Seconds since ``created`` (a timestamp in ``fmt``, UTC) on the emulator's clock."""
    try:
        parsed = datetime.strptime(created, fmt)  # noqa: DTZ007 (naive text is UTC: below)
    except ValueError:
        return 0.0
    made = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return max(0.0, time.time() + state.engagement_offset - made)


def counts(state: EmulatorState, age: float) -> dict[str, int]:
    """Views and the counts that follow from them for a post ``age`` seconds old."""
    views = int(age * state.engagement_rate)
    found = {"views": views}
    for name, per in SHARES.items():
        found[name] = views // per
    return found
