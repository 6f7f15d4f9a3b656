"""What both transports' fuzz servers (``socketio_watch``, ``sockjs_watch``) share on the wire.

The errors that mean "the server closed this raw session", how a bystander
waits for its own message among fuzz traffic, and the raw websocket session
both protocols' sessions build on. Named after neither transport: it stays
when one is pruned.
"""

import websocket

#: What a raw session raises once the server has closed it (the protocol's right on bad input).
CLOSED = (websocket.WebSocketException, ConnectionError, OSError)


def receive_until(client, event, expected, key=None, timeout=10):
    """The next ``event`` whose value (or ``value[key]``) is ``expected``; others (fuzz traffic) are skipped."""
    while True:
        value = client.receive(event, timeout=timeout)
        if (value.get(key) if key and isinstance(value, dict) else value) == expected:
            return value


class RawWebSocket:
    """A raw websocket session (``self.ws``): frames sent as given, text or binary; closed on exit."""

    ws = None

    def send(self, frames):
        for frame in frames:
            if isinstance(frame, bytes):
                self.ws.send_binary(frame)
            else:
                self.ws.send(frame)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.ws.close()
