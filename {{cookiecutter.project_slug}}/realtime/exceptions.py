"""Exceptions of the realtime app."""


class ConnectionRefused(Exception):
    """Raise in a ``socket_connected`` receiver to refuse the connection.

    The message is sent to the client as the reason, so keep it free of
    secrets: ``raise ConnectionRefused("login required")``.
    """

    def __init__(self, reason="connection refused"):
        super().__init__(reason)
        self.reason = reason


class AlreadyAcknowledged(RuntimeError):
    """An event can be acknowledged once; a second ack would be a second packet."""


class BadEnvelope(ValueError):
    """A bus envelope that is not JSON of the documented shape."""


class BusUnavailable(RuntimeError):
    """``realtime.emit`` from a process that serves no sockets (a web worker, the shell, a
    job) could not reach the bus, so the envelope reached nobody. The message names the
    bus and how to fix it; catch it where a caller can say so (the envelope is not queued).
    Socket processes never raise it: their own clients still get the envelope."""


class LimitExceeded(Exception):
    """A client asked for more than a limit allows (``realtime.limits``).

    Raised from a receiver (e.g. by ``socket.join``), it is not a server
    error: the dispatcher logs nothing more and answers the event's ack with
    ``{"error": code, "message": ...}``.
    """

    code = "limit_exceeded"

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def as_error(self):
        return {"error": self.code, "message": self.message}
