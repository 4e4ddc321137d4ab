"""Logging set-up: one format, and secrets never reach a log line."""

from __future__ import annotations

import logging
import re

# Telegram bot tokens (123456:ABC...), OpenAI-style keys and bearer headers.
_SECRET = re.compile(r"(\d{6,12}:[A-Za-z0-9_-]{30,})|(sk-[A-Za-z0-9_-]{12,})|(Bearer\s+[A-Za-z0-9._-]{8,})")


class RedactSecrets(logging.Filter):
    """Masks tokens and keys in messages and arguments, wherever they come from (httpx logs URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRET.search(message):
            record.msg = redact(message)
            record.args = None
        return True


def redact(text: str) -> str:
    return _SECRET.sub("[redacted]", text)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("chromadb").setLevel(logging.WARNING)
