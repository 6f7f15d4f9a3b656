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
