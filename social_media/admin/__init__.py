"""The publishing app's admin: every ModelAdmin that calls publishing code lives here.

The sections stay where editors know them, since a ModelAdmin is listed under its
model's app: Tasks → Tasks and Social Media Posts (``tasks.py``, ``posts.py``),
Webhooks → Social Media Credentials and Webhooks (``webhooks.py``), and Social media
publishing → Caption templates (``posts.py``), the workers' read-only records: Metric
snapshots and Engagement days (``engagement.py``) and Publishing slots (``slots.py``).
"""

from social_media.admin import engagement, posts, slots, tasks, webhooks

__all__ = ["engagement", "posts", "slots", "tasks", "webhooks"]
