"""Reading what a SockJS server sends: its frames, then our framing inside them.

One place for both transports: the websocket reader thread (here) and the
xhr-polling loop (:mod:`.polling`) hand every frame to ``_frame``, so a
close, a lost session or an ack means the same thing over either.
"""

import json
import threading
import time
from typing import Any

from .inbox import Inbox, _value


class _Ack(threading.Event):
    """Set when the server acks an emit; ``args`` holds the ack's arguments."""

    args: list[Any] = []


class FrameReader(Inbox):
    """SockJS frames (``o``, ``h``, ``a[...]``, ``c[...]``) and our envelopes, into the client's state."""

    sid: str | None
    connect_error: Any
    close_code: int | None
    close_reason: str | None
    clientsignal: bool
    opened: threading.Event
    accepted: threading.Event
    disconnected: threading.Event
    ack_replies: dict[str, Any]
    heartbeats: list[float]
    _acks: dict[int, _Ack]
    _ws: Any
    _stop: bool

    def _send_obj(self, obj: Any) -> Any:
        raise NotImplementedError  # the client's (acks to the server's emits go back through it)

    def _frame(self, frame: str) -> None:
        if not frame:
            return
        kind = frame[0]
        if kind == "o":
            if self.opened.is_set() and not self.disconnected.is_set():
                # A second open frame: our session is gone (its process died) and the server
                # that answered opened a new one. sockjs-client closes with 1006 too.
                self.close_code, self.close_reason = 1006, "server lost session"
                self._stop = True
                self._closed()
                return
            self.opened.set()
        elif kind == "h":
            self.heartbeats.append(time.monotonic())
        elif kind == "a":
            for text in json.loads(frame[1:]):
                self._message(text)
        elif kind == "c":
            self.close_code, self.close_reason = json.loads(frame[1:])
            self._closed()

    def _closed(self) -> None:
        self.opened.set()
        self.disconnected.set()
        with self._cond:
            self._cond.notify_all()

    def _message(self, text: str) -> None:
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            self._push("\0raw", text)  # not our framing (a plain SockJSConnection)
            return
        if self.clientsignal:
            self._push(obj.get("event"), obj.get("data"))
            return
        kind = obj.get("type")
        if kind == "connect":
            self.sid = obj["sid"]
            self.accepted.set()
        elif kind == "ack":
            done = self._acks.pop(obj["id"], None)
            if done is not None:
                done.args = obj.get("args", [])
                done.set()
        elif kind == "message":
            self._push("\0message", obj.get("data"))
        elif kind == "event":
            args = obj.get("args", [])
            if obj["event"] == "error" and args and isinstance(args[0], dict) and args[0].get("error") == "refused":
                self.connect_error = args[0].get("message")
            self._push(obj["event"], _value(args))
            if obj.get("id") is not None:
                reply = self.ack_replies.get(obj["event"])
                reply = reply(*args) if callable(reply) else reply
                reply = [] if reply is None else list(reply) if isinstance(reply, tuple) else [reply]
                self._send_obj({"type": "ack", "id": obj["id"], "args": reply})

    def _read_websocket(self) -> None:
        try:
            while True:
                self._frame(self._ws.recv())
        except Exception:
            if self.close_code is None:
                self.close_code, self.close_reason = 1006, "connection dropped"
            self._closed()
