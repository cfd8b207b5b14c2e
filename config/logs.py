"""Logs as one JSON object per line, with the request id, and no personal data.

Nothing the service logs on purpose names anyone (DESIGN.md §5.6); what could slip in is an exception's
message (a database error can quote the row it refused), so an exception is logged as its class and the
stack's files, lines and functions, never its message. The request id is the one in the access trail and
the ``X-Request-ID`` header (``audit.logs.RequestIdFilter`` puts it on each record), so a log line and
the trail's events of one request join up.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime

LEVELS_WITH_STACK = {"ERROR", "CRITICAL"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, exception class and stack."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind, _error, stack = record.exc_info
            entry["exception"] = kind.__name__
            entry["stack"] = [f"{frame.filename}:{frame.lineno} in {frame.name}"
                              for frame in traceback.extract_tb(stack)]
        return json.dumps(entry, ensure_ascii=False)
