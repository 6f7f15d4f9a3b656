"""The bus envelope: what travels between processes, as JSON (never pickle).

Wire shape (version 1)::

    {"v": 1, "kind": "event" | "message" | "control",  # control: see realtime.control
     "endpoint": "/",          # "/" or a client-signal URL such as "/simple"
     "room": "lobby" | null,   # a room, or null for everyone on the endpoint
     "to": "<sid>" | null,     # one socket (wins over room)
     "skip": "<sid>" | null,   # a socket left out (broadcast_emit)
     "event": "chat",          # kind "event" only
     "args": [...],            # event arguments, or [message]
     "origin": "<process id>"} # so a process does not deliver its own twice

An envelope is encoded once, however many processes and clients it reaches.
"""

import json

from realtime.exceptions import BadEnvelope

VERSION = 1
KINDS = ("event", "message", "control")
MAX_NAME = 200


class Envelope:
    __slots__ = ("kind", "endpoint", "room", "to", "skip", "event", "args", "origin", "_json")

    def __init__(self, kind, args, *, event=None, endpoint="/", room=None, to=None, skip=None, origin=None):
        self.kind = kind
        self.event = event
        self.args = list(args)
        self.endpoint = endpoint
        self.room = room
        self.to = to
        self.skip = skip
        self.origin = origin
        self._json = None

    @classmethod
    def for_event(cls, name, args=(), **target):
        if not isinstance(name, str) or not name or len(name) > MAX_NAME:
            raise ValueError(f"an event name is a non-empty string of at most {MAX_NAME} characters")
        return cls("event", args, event=name, **target)

    @classmethod
    def for_message(cls, message, **target):
        return cls("message", [message], **target)

    @property
    def message_data(self):
        return self.args[0] if self.args else None

    def as_dict(self):
        return {
            "v": VERSION,
            "kind": self.kind,
            "endpoint": self.endpoint,
            "room": self.room,
            "to": self.to,
            "skip": self.skip,
            "event": self.event,
            "args": self.args,
            "origin": self.origin,
        }

    def to_json(self, encoder=None):
        """The JSON text, encoded once (raises TypeError for non-JSON data)."""
        if self._json is None:
            self._json = json.dumps(self.as_dict(), cls=encoder, separators=(",", ":"))
        return self._json

    @classmethod
    def from_json(cls, raw, object_hook=None):
        """Parse and validate; raises :class:`BadEnvelope` on anything off."""
        try:
            data = json.loads(raw, object_hook=object_hook)
        except (TypeError, ValueError) as exc:
            raise BadEnvelope(f"not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("v") != VERSION or data.get("kind") not in KINDS:
            raise BadEnvelope("not a version-1 envelope")
        args = data.get("args")
        if not isinstance(args, list):
            raise BadEnvelope("args is not a list")
        for key in ("endpoint", "room", "to", "skip", "origin", "event"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise BadEnvelope(f"{key} is not a string")
        if data["kind"] in ("event", "control") and not data.get("event"):
            raise BadEnvelope(f"an {data['kind']} envelope needs an event name")
        env = cls(
            data["kind"],
            args,
            event=data.get("event"),
            endpoint=data.get("endpoint") or "/",
            room=data.get("room"),
            to=data.get("to"),
            skip=data.get("skip"),
            origin=data.get("origin"),
        )
        env._json = raw if isinstance(raw, str) else None
        return env

    def __repr__(self):
        target = self.to or self.room or "*"
        return f"<Envelope {self.kind} {self.event or ''} -> {self.endpoint}:{target}>"
