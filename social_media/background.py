"""Hand outbox messages to the broker from a thread of this process, after the save.

A save writes its posts in its own transaction (the outbox) and, once committed,
used to wait for the broker round trip before returning. With
``SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND`` (the default) the message is given to one
sender thread per process instead, so a save costs the INSERT and nothing more.
Nothing is lost if the process ends first: the rows are committed, ``atexit``
waits a few seconds for the thread to finish, and a post whose message never left
is sent by the relay once its hand-over is stale (``SOCIAL_MEDIA_LEASE_SECONDS``),
as after a broker outage.

Inside a request the jobs wait for the response to be finished (Django's
``request_finished``, sent when the server closes the response, after its last byte):
the sender thread would otherwise take the interpreter's lock from the request
while it builds the message, and the editor would wait for that too.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from contextvars import ContextVar

from django.core.signals import request_finished, request_started
from django.db import connections

logger = logging.getLogger("social_media")

FLUSH_AT_EXIT_SECONDS = 5.0

Job = Callable[[], object]


class BackgroundSender:
    """One daemon thread per process running the jobs it is given, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Job | threading.Event] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._exit_hook = False

    def submit(self, job: Job) -> None:
        """Run ``job`` on the sender thread (started on first use, again after a fork)."""
        with self._lock:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._queue = queue.SimpleQueue()
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="outbox-sender", daemon=True
                )
                self._pid = os.getpid()
                self._thread.start()
                if not self._exit_hook:
                    atexit.register(self.flush, FLUSH_AT_EXIT_SECONDS)
                    self._exit_hook = True
            self._queue.put(job)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every job given so far has run; ``False`` if ``timeout`` ran out."""
        with self._lock:
            running = self._thread is not None and self._thread.is_alive()
            if not running or self._pid != os.getpid():
                return True
            done = threading.Event()
            self._queue.put(done)
        return done.wait(timeout)

    @staticmethod
    def _run(jobs: queue.SimpleQueue[Job | threading.Event]) -> None:
        while True:
            job = jobs.get()
            if isinstance(job, threading.Event):
                connections.close_all()  # everything before it is done
                job.set()
                continue
            try:
                job()
            except Exception:  # the relay sends what was not handed over
                logger.exception("⚠️ Фоновая передача постов брокеру не удалась — отправит релей")
            finally:
                if jobs.empty():
                    # Idle: give this thread's database connections back.
                    connections.close_all()


SENDER = BackgroundSender()

# The jobs of the request being handled (``None`` outside a request). A list shared
# by reference, so the view's thread under ASGI appends to the request's own list.
_after_response: ContextVar[list[Job] | None] = ContextVar("after_response", default=None)


def submit_after_response(job: Job) -> None:
    """``SENDER.submit(job)``, once the current response is finished (at once outside a
    request)."""
    waiting = _after_response.get()
    if waiting is None:
        SENDER.submit(job)
    else:
        waiting.append(job)


def _send_waiting() -> None:
    waiting = _after_response.get()
    _after_response.set(None)
    for job in waiting or ():
        SENDER.submit(job)


def _on_request_started(**kwargs: object) -> None:
    _send_waiting()  # a request that never finished must not keep its jobs
    # WSGI (and the test client) only: it finishes the response in the request's own
    # thread. Under ASGI (``scope``) the jobs are submitted at once, as elsewhere.
    _after_response.set([] if "environ" in kwargs else None)


def _on_request_finished(**kwargs: object) -> None:
    _send_waiting()


request_started.connect(_on_request_started, dispatch_uid="outbox_after_response_start")
request_finished.connect(_on_request_finished, dispatch_uid="outbox_after_response_finish")
