"""The publishing app's admin: every ModelAdmin that calls publishing code lives here.

The sections stay where editors know them, since a ModelAdmin is listed under its
model's app: Tasks → Tasks and Social Media Posts (``tasks.py``, ``posts.py``),
Webhooks → Social Media Credentials and Webhooks (``webhooks.py``), and Social media
publishing → Caption templates (``posts.py``).
"""

from social_media.admin import posts, tasks, webhooks

__all__ = ["posts", "tasks", "webhooks"]
