"""Logging filter that keeps secrets out of every log line."""

from __future__ import annotations

import logging

from quiz_backend.redaction import redact

_formatter = logging.Formatter()


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record's message, traceback and stack with tokens and secrets masked.

    A safety net: code should never log a secret in the first place. Attached to
    every handler in ``settings.LOGGING``.
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
        if record.exc_info and not record.exc_text:
            # Formatters cache the traceback text here; fill it now so it is redacted.
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
