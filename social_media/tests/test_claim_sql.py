"""The claim's hand-written SQL (``delivery._claimable_update_sql``) claims exactly the posts
the ORM filter ``delivery._claimable`` calls claimable, and the fast statements of
``quiz_backend.sql`` write what the ORM would."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from quiz_backend import sql as fast_sql
from social_media import delivery
from social_media.models import PublishAttempt
from tasks.models import PostStatus, SocialMediaPost
from tests.factories import TaskFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


class Rollback(Exception):
    pass


def test_the_claim_sql_matches_the_orm_filter_in_every_state():
    now = timezone.now()
    moments = [None, now - timedelta(seconds=5), now, now + timedelta(seconds=5)]
    posts = []
    for status, next_at, locked in itertools.product(PostStatus.values, moments, moments):
        task = TaskFactory(published=False)
        posts.append(
            SocialMediaPost.objects.create(
                task=task,
                platform="pinterest",
                status=status,
                next_attempt_at=next_at,
                locked_until=locked,
            )
        )
    claimable = set(
        SocialMediaPost.objects.filter(delivery._claimable(now)).values_list("pk", flat=True)
    )
    assert claimable, "some states must be claimable"
    assert len(claimable) < len(posts), "and some not"

    claim = {
        "status": PostStatus.PROCESSING,
        "claim_token": uuid.uuid4(),
        "locked_until": now + timedelta(seconds=300),
        "updated_at": now,
    }
    for post in posts:
        sql, params = delivery._claimable_update_sql(post.pk, now, claim)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                claimed = cursor.rowcount
                raise Rollback
        except Rollback:
            pass
        assert claimed == (1 if post.pk in claimable else 0), (
            post.status,
            post.next_attempt_at,
            post.locked_until,
        )


def test_a_claim_increments_the_attempt_count_and_sets_the_lease():
    post = SocialMediaPost.objects.create(task=TaskFactory(published=False), platform="pinterest")
    now = timezone.now()
    token = uuid.uuid4()
    claim = {
        "status": PostStatus.PROCESSING,
        "claim_token": token,
        "locked_until": now + timedelta(seconds=300),
        "updated_at": now,
    }
    sql, params = delivery._claimable_update_sql(post.pk, now, claim)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    post.refresh_from_db()
    assert (post.status, post.claim_token, post.attempt_count) == ("processing", token, 1)
    assert post.locked_until == now + timedelta(seconds=300)


def test_fast_insert_and_update_write_what_the_orm_reads_back():
    post = SocialMediaPost.objects.create(task=TaskFactory(published=False), platform="pinterest")
    attempt = fast_sql.insert(
        PublishAttempt(post=post, number=1, kind="publish", route="api", started_at=timezone.now())
    )
    stored = PublishAttempt.objects.get(pk=attempt.pk)
    assert (stored.post_id, stored.number, stored.route, stored.outcome) == (
        post.pk,
        1,
        "api",
        "",
    )

    sql, params = fast_sql.update_sql(
        SocialMediaPost,
        {"id": post.pk},
        {"platform_state": {"job": "j1", "ids": [1, 2]}, "error_message": "", "webhook": None},
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    post.refresh_from_db()
    assert post.platform_state == {"job": "j1", "ids": [1, 2]}
    assert post.webhook_id is None


def test_a_field_that_is_not_a_column_is_refused():
    with pytest.raises(TypeError, match="not a column"):
        fast_sql.update_sql(SocialMediaPost, {"id": 1}, {"attempts": 1})


def _insert_rows(objs):
    sql, params = fast_sql.insert_rows_sql(objs)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def test_the_rows_insert_stores_every_column_as_the_orm_would_and_keeps_the_order():
    tasks = [TaskFactory(published=False) for _ in range(3)]
    when = timezone.now() + timedelta(hours=1)
    posts = [
        SocialMediaPost(task=tasks[0], platform="pinterest", next_attempt_at=when),
        SocialMediaPost(
            task=tasks[1],
            platform="facebook",
            next_attempt_at=None,
            platform_state={"job": "j1", "ids": [1, 2]},
            needs_reconcile=True,
        ),
        SocialMediaPost(task=tasks[2], platform="vk", next_attempt_at=when, notice="n"),
    ]
    ids = _insert_rows(posts)
    assert ids == sorted(ids)
    stored = {p.pk: p for p in SocialMediaPost.objects.filter(pk__in=ids)}
    for post, pk in zip(posts, ids, strict=True):
        row = stored[pk]
        assert (row.task_id, row.platform, row.next_attempt_at, row.platform_state) == (
            post.task_id,
            post.platform,
            post.next_attempt_at,
            post.platform_state,
        )
        assert (row.needs_reconcile, row.notice, row.status) == (
            post.needs_reconcile,
            post.notice,
            PostStatus.PENDING,
        )
        assert row.delivery_id == post.delivery_id
    assert len({stored[pk].delivery_id for pk in ids}) == 3


def test_the_rows_insert_takes_one_row_and_identical_rows():
    post = SocialMediaPost.objects.create(task=TaskFactory(published=False), platform="pinterest")
    started = timezone.now()
    one = _insert_rows(
        [PublishAttempt(post=post, number=1, kind="publish", route="api", started_at=started)]
    )
    same = [
        PublishAttempt(post=post, number=2, kind="publish", route="api", started_at=started)
        for _ in range(3)
    ]
    sql, _ = fast_sql.insert_rows_sql(same)
    assert "generate_series" in sql  # nothing differs between the rows
    many = _insert_rows(same)
    assert len(one) == 1 and len(many) == 3
    assert (
        list(
            PublishAttempt.objects.filter(pk__in=many).values_list("number", "route", "started_at")
        )
        == [(2, "api", started)] * 3
    )


def test_the_rows_insert_text_does_not_grow_with_the_rows():
    tasks = [TaskFactory(published=False) for _ in range(6)]
    # A frozen clock: the rows' auto_now stamps are then equal, as they often are.
    with time_machine.travel(timezone.now(), tick=False):
        two = fast_sql.insert_rows_sql(
            [SocialMediaPost(task=t, platform="pinterest") for t in tasks[:2]]
        )
        six = fast_sql.insert_rows_sql(
            [SocialMediaPost(task=t, platform="pinterest") for t in tasks]
        )
    assert two[0] == six[0]
    assert len(two[1]) == len(six[1])
