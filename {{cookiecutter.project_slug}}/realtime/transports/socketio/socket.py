"""The core :class:`~realtime.sockets.Socket` for a Socket.IO connection.

A Socket.IO client connects to a namespace; each (client, namespace) pair is
one socket here, with python-socketio's namespace ``sid`` as its ``sid`` and
the namespace as its ``endpoint``.
"""

from realtime.sockets import Socket


class SocketIOSocket(Socket):
    transport = "socketio"

    def __init__(self, server, sid, eio_sid, request, endpoint, auth=None):
        super().__init__(sid, request, endpoint)
        self.server = server
        self.eio_sid = eio_sid
        #: the ``auth`` payload the client sent with CONNECT (or None).
        self.auth = auth
        #: events waiting for its receivers, in arrival order (a deque only
        #: while some wait), and the reader's wake-up; see :mod:`.inbox`.
        self.inbox = None
        self.draining = False
        self.resume = None
        #: the client's websocket writer, once known (see :mod:`.direct`).
        self.direct = None

    def _write_message(self, message):
        # Socket.IO's send() is an event named "message" on the client.
        self.server.write_event([self], self.endpoint, ["message", message])

    def _write_event(self, event, args, callback):
        if callback is None:
            self.server.write_event([self], self.endpoint, [event, *args])
        else:
            self.server.write_event_with_ack(self, event, args, callback)

    def _close(self):
        self.server.disconnect(self.sid, namespace=self.endpoint)
