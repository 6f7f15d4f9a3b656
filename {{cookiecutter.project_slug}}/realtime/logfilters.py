"""Logging filters for bad input: a client's mistake is one WARNING line, never a traceback.

Django logs a request whose ``Host`` header is not in ``ALLOWED_HOSTS`` on
``django.security.DisallowedHost`` at ERROR level with a full traceback (found
by ``test_socketio_fuzz``): any client can write that by sending ``Host: x``.
``settings.LOGGING`` puts :class:`OneWarningLine` on that logger: the line
stays (it names the host, worth seeing), the traceback and the ERROR go.
"""

import logging


class OneWarningLine(logging.Filter):
    def filter(self, record):
        record.exc_info = record.exc_text = None
        record.stack_info = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
