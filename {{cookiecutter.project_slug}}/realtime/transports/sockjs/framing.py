"""Our JSON framing inside SockJS messages, and the client-signal wire.

SockJS carries strings; each string is one JSON object. Two wires exist:

``CoreWire`` (the core endpoint, ``REALTIME_SOCKJS_PREFIX``): see the package
docstring for the frame shapes (``event``/``ack``/``message``/``connect``).

``SignalWire`` (client-signal endpoints such as ``/simple``): Django Client Signals'
``{"event": name, "data": {kwargs}}`` both ways.

A wire encodes an outgoing envelope to text ONCE; the adapter then writes
that same text (and the same websocket frame) to every target session.
"""

import json

from realtime.exceptions import BadEnvelope


class BadFrame(ValueError):
    """A client frame that is JSON but not of our shape (the client is told why)."""


def _encode(obj, encoder=None):
    try:
        return json.dumps(obj, cls=encoder, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"cannot send over SockJS: {exc} (send JSON-serialisable data, or set a JSON encoder)"
        ) from None


def _data(args):
    """Django Client Signals' ``data``: the one argument, None for none, else the list."""
    if not args:
        return None
    return args[0] if len(args) == 1 else list(args)


class CoreWire:
    """Frames of the core endpoint (events with acks, messages)."""

    name = "core"

    def __init__(self, encoder=None, object_hook=None):
        self.encoder = encoder
        self.object_hook = object_hook

    # -- server to client ---------------------------------------------------
    def event(self, name, args, ack_id=None):
        frame = {"type": "event", "event": name, "args": list(args)}
        if ack_id is not None:
            frame["id"] = ack_id
        return _encode(frame, self.encoder)

    def message(self, message):
        return _encode({"type": "message", "data": message}, self.encoder)

    def ack(self, ack_id, args):
        return _encode({"type": "ack", "id": ack_id, "args": list(args)}, self.encoder)

    def connected(self, sid):
        return _encode({"type": "connect", "sid": sid})

    def envelope(self, envelope):
        if envelope.kind == "event":
            return self.event(envelope.event, envelope.args)
        return self.message(envelope.message_data)

    # -- client to server -----------------------------------------------------
    def decode(self, text):
        """``(kind, fields)``: ``("event", (name, args, id))``,
        ``("ack", (id, args))`` or ``("message", data)``; raises on anything else."""
        frame = json.loads(text, object_hook=self.object_hook)
        if not isinstance(frame, dict):
            raise BadFrame("a frame is a JSON object")
        kind = frame.get("type")
        if kind == "event":
            name, args, ack_id = frame.get("event"), frame.get("args", []), frame.get("id")
            if not isinstance(args, list):
                raise BadFrame("event args must be a list")
            if ack_id is not None and (isinstance(ack_id, bool) or not isinstance(ack_id, int)):
                raise BadFrame("an ack id is an integer")
            return "event", (name, args, ack_id)
        if kind == "ack":
            ack_id, args = frame.get("id"), frame.get("args", [])
            if isinstance(ack_id, bool) or not isinstance(ack_id, int) or not isinstance(args, list):
                raise BadFrame("an ack has an integer id and a list of args")
            return "ack", (ack_id, args)
        if kind == "message":
            return "message", frame.get("data")
        raise BadFrame(f"unknown frame type {str(kind)[:30]!r}")


class SignalWire:
    """Django Client Signals' client-signal wire: ``{"event": name, "data": {...}}``."""

    name = "clientsignal"

    def __init__(self, encoder=None, object_hook=None):
        self.encoder = encoder
        self.object_hook = object_hook

    def event(self, name, args, ack_id=None):
        return _encode({"event": name, "data": _data(args)}, self.encoder)

    def message(self, message):
        return _encode({"event": "message", "data": message}, self.encoder)

    def ack(self, ack_id, args):  # that wire has no acks
        return None

    def connected(self, sid):
        return None

    def envelope(self, envelope):
        if envelope.kind == "event":
            return self.event(envelope.event, envelope.args)
        return self.message(envelope.message_data)

    def decode(self, text):
        frame = json.loads(text, object_hook=self.object_hook)
        if not isinstance(frame, dict) or "event" not in frame:
            raise BadFrame('a signal is {"event": name, "data": {...}}')
        data = frame.get("data")
        return "event", (frame["event"], [] if data is None else [data], None)


__all__ = ["BadFrame", "BadEnvelope", "CoreWire", "SignalWire"]
