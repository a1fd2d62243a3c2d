"""Keep secrets out of the logs: delegate codes, receipts, screen and topic-form tokens live in paths.

`/vote/<code>/…`, `/screen/<token>/…` and `/topics/p/<token>/…` are logged as `/vote/…`, `/screen/…`
and `/topics/p/…`, in the message, the formatted traceback, and (for the mail handler) by dropping the
request the record carries. The filter sits on the loggers that name request paths (django.request,
django.security.csrf, django.server: see LOGGING in settings) so the record is rewritten once, where
it is made, before any handler sees it; and on the console handler for anything else.

`GunicornLogger` does the same for gunicorn's access and error logs:
`gunicorn --logger-class shuzhi.logfilters.GunicornLogger …` (deploy/shuzhi-web.service).
"""

import logging
import re

from gunicorn.glogging import Logger as _GunicornLogger

SECRET_PATH = re.compile(r"(/(?:vote|screen|topics/p)/)[^\s\"'<>]+")
REDACTED = r"\1…"


def redact(text: str) -> str:
    """Every secret-bearing path in `text` cut down to its prefix: '/vote/AB12…/receipt/X/' → '/vote/…'."""
    return SECRET_PATH.sub(REDACTED, text)


class RedactSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        request = getattr(record, "request", None)
        if request is not None and SECRET_PATH.search(getattr(request, "path", "") or ""):
            del record.request  # AdminEmailHandler would print its path, full URL and headers
        return True


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with the same filter on its access and error logs."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            if not any(isinstance(f, RedactSecretPaths) for f in log.filters):
                log.addFilter(RedactSecretPaths())
