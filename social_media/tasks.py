"""Celery tasks: thin wrappers that pass ids to the delivery services."""

from __future__ import annotations

from celery import shared_task

from social_media import delivery, metrics_collect, periodic, token_refresh


@shared_task(name="social_media.publish_post", acks_late=True, reject_on_worker_lost=True)
def publish_post(post_id: int) -> str | None:
    post = delivery.post_publish(post_id=post_id)
    return post.status if post else None


@shared_task(name="social_media.dispatch_posts", acks_late=True, reject_on_worker_lost=True)
def dispatch_posts(post_ids: list[int]) -> int:
    """Fan one hand-off message out into one ``publish_post`` per post.

    A redelivered dispatch only repeats messages that the claim then refuses.
    """
    for post_id in post_ids:
        publish_post.delay(post_id)
    return len(post_ids)


@shared_task(name="social_media.relay_due_posts")
def relay_due_posts() -> dict[str, int]:
    return delivery.posts_relay()


@shared_task(name="social_media.refresh_tokens")
def refresh_tokens() -> dict[str, dict[str, int]]:
    """Hourly (beat): each platform refreshes the tokens it has about to expire."""
    return token_refresh.tokens_refresh_expiring()


@shared_task(name="social_media.collect_metrics")
def collect_metrics() -> dict[str, int]:
    """Periodic (beat, queue "metrics"): read the due posts' numbers from their platforms."""
    return metrics_collect.metrics_collect()


@shared_task(name="social_media.platform_jobs")
def platform_jobs() -> dict[str, dict[str, int]]:
    """Every minute (beat): each platform's ``periodic_job`` (e.g. fetching bot updates)."""
    return periodic.platform_jobs_run()


@shared_task(name="social_media.render_task_media", acks_late=True)
def render_task_media(task_ids: list[int]) -> dict[str, int]:
    """The admin's *Re-render media*: every medium the tasks' platforms need, in the worker."""
    from social_media.media import tasks_render_media

    return tasks_render_media(task_ids=task_ids)
