"""The core :class:`~realtime.sockets.Socket` for a Socket.IO connection.

A Socket.IO client connects to a namespace; each (client, namespace) pair is
one socket here, with python-socketio's namespace ``sid`` as its ``sid`` and
the namespace as its ``endpoint``.
"""

from collections import deque

from realtime.sockets import Socket


class SocketIOSocket(Socket):
    transport = "socketio"

    def __init__(self, server, sid, eio_sid, request, endpoint, auth=None):
        super().__init__(sid, request, endpoint)
        self.server = server
        self.eio_sid = eio_sid
        #: the ``auth`` payload the client sent with CONNECT (or None).
        self.auth = auth
        #: events waiting for the server's per-socket greenlet, in arrival order.
        self.inbox = deque()
        self.draining = False
        self.overflowing = False

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
