"""Small helpers shared by the reliability tests."""

from __future__ import annotations

from tasks.models import SocialMediaPost
from tests.reliability.fakes import wait_until


def wait_for_posts(status: str, *, count: int, timeout: float) -> list[SocialMediaPost]:
    """Poll the database until ``count`` posts have ``status``; return every post."""

    def done() -> bool:
        return SocialMediaPost.objects.filter(status=status).count() >= count

    try:
        wait_until(done, timeout=timeout, interval=0.2, message=f"{count} posts {status}")
    except AssertionError:
        rows = list(
            SocialMediaPost.objects.values(
                "pk", "platform", "status", "retry_count", "error_message", "next_attempt_at"
            )
        )
        raise AssertionError(f"posts did not reach {status!r} in {timeout} s: {rows}") from None
    return list(SocialMediaPost.objects.order_by("pk"))
