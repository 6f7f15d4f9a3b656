"""Outbound: bus envelopes to this process's Socket.IO clients."""

from realtime.delivery import Adapter


class SocketIOAdapter(Adapter):
    """Writes an envelope to its sockets with one encode for all of them.

    The Socket.IO packet and its Engine.IO frame are built once; each client
    then costs one queue put, the same as python-socketio's own broadcast.
    """

    transport = "socketio"

    def __init__(self, server):
        self.server = server

    def write(self, envelope, sockets):
        if envelope.kind == "event":
            data = [envelope.event, *envelope.args]
        else:
            data = ["message", envelope.message_data]
        self.server.write_event(sockets, envelope.endpoint, data)
