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
