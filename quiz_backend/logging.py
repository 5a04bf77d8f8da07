"""Logging filter that keeps secrets out of every log line."""

from __future__ import annotations

import logging

from quiz_backend.redaction import redact


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record's message with tokens, signatures and passwords masked.

    A safety net: code should never log a secret in the first place.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
