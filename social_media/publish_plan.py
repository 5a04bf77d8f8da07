"""What the bulk publish action would do, per task and platform, before it runs.

The same rules as ``services.publish_tasks(retry_failed=True)``: a platform with no
post gets a new one, a failed post is retried, a published post or one in flight
is skipped. A post that would be sent but certainly fail says why (from the
preview). Read-only: two queries, nothing written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from social_media.captions import CaptionBook
from social_media.platforms.registry import PLATFORMS
from social_media.preview import task_preview
from tasks.models import PostStatus, SocialMediaPost

if TYPE_CHECKING:
    from social_media.targets import Targets
    from tasks.models import Task


class Decision(StrEnum):
    NEW = "new"
    RETRY = "retry"
    SKIP_PUBLISHED = "skip_published"
    SKIP_IN_FLIGHT = "skip_in_flight"


DECISION_LABELS = {
    Decision.NEW: _("will be sent"),
    Decision.RETRY: _("will be retried (failed before)"),
    Decision.SKIP_PUBLISHED: _("skipped: already published"),
    Decision.SKIP_IN_FLIGHT: _("skipped: in progress"),
}


@dataclass(frozen=True)
class PlannedPost:
    platform: str
    decision: Decision
    problems: tuple[str, ...] = ()  # why a post that is sent would certainly fail

    @property
    def platform_label(self) -> Any:
        return PLATFORMS[self.platform].label

    @property
    def decision_label(self) -> Any:
        return DECISION_LABELS[self.decision]


@dataclass
class TaskPlan:
    task: Task
    posts: list[PlannedPost] = field(default_factory=list)

    @property
    def skipped_no_platform(self) -> bool:
        return not self.posts


def publish_plan(tasks: Iterable[Task], targets: Targets) -> list[TaskPlan]:
    """The decision for every (task, active platform) the bulk action would make."""
    tasks = list(tasks)
    statuses: dict[int, dict[str, str]] = defaultdict(dict)
    for task_id, platform, status in SocialMediaPost.objects.filter(task__in=tasks).values_list(
        "task_id", "platform", "status"
    ):
        statuses[task_id][platform] = status
    plans = []
    no_captions = CaptionBook()  # only the problems are read here, not the texts
    for task in tasks:
        plan = TaskPlan(task=task)
        problems = {p.key: tuple(p.problems) for p in task_preview(task, targets, no_captions)}
        for platform in targets.for_task(task):
            current = statuses[task.pk].get(platform)
            if current is None:
                decision = Decision.NEW
            elif current == PostStatus.PUBLISHED:
                decision = Decision.SKIP_PUBLISHED
            elif current == PostStatus.FAILED:
                decision = Decision.RETRY
            else:
                decision = Decision.SKIP_IN_FLIGHT
            sent = decision in (Decision.NEW, Decision.RETRY)
            plan.posts.append(
                PlannedPost(platform, decision, problems.get(platform, ()) if sent else ())
            )
        plans.append(plan)
    return plans


def plan_totals(plans: list[TaskPlan]) -> dict[str, int]:
    """How many posts each decision covers, for the confirmation page's summary; also
    ``scheduled`` (new posts that wait for their task's publish date) and ``sent_now``."""
    totals: dict[str, int] = dict.fromkeys(Decision, 0) | {"scheduled": 0}
    now = timezone.now()
    for plan in plans:
        later = plan.task.publish_date is not None and plan.task.publish_date > now
        for post in plan.posts:
            totals[post.decision] += 1
            if later and post.decision == Decision.NEW:
                totals["scheduled"] += 1
    totals["sent_now"] = totals[Decision.NEW] - totals["scheduled"] + totals[Decision.RETRY]
    return totals
