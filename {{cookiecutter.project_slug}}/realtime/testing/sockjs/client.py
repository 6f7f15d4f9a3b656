"""The client itself: opening a SockJS session, sending, closing.

What is received is read by :mod:`.frames` (and, over xhr-polling, fetched
by :mod:`.polling`) and waited for through :mod:`.inbox`; this module holds
the state they share and the calls that go to the server.
"""

import http.client
import itertools
import json
import random
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import websocket

from .frames import _Ack
from .inbox import _value
from .polling import XhrPolling


class SockJSTestClient(XhrPolling):
    """A connected SockJS client.

    ``url``           the endpoint, e.g. ``server.url + "/sockjs"`` (a query
                      string reaches ``request.GET`` on the server).
    ``transport``     ``"websocket"`` (default) or ``"xhr"`` (xhr-polling).
    ``headers``       extra handshake headers (``{"Origin": ...}``).
    ``cookies``       a dict, e.g. ``LiveServer.login("ann")``.
    ``clientsignal``  speak the client-signal wire (default: True unless the
                      path is ``/sockjs``).

    If the server refuses, ``connected`` is False and ``connect_error`` holds
    the reason (or the HTTP status, e.g. 403 for a bad Origin).
    """

    def __init__(
        self,
        url: str,
        transport: str = "websocket",
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        clientsignal: bool | None = None,
        timeout: float = 5,
        connect: bool = True,
    ) -> None:
        if transport not in ("websocket", "xhr"):
            raise ValueError("transport is 'websocket' or 'xhr'")
        parts = urlsplit(url)
        self.url = url
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path.rstrip("/")
        self.query = ("?" + parts.query) if parts.query else ""
        self.transport = transport
        self.headers = dict(headers or {})
        if cookies:
            self.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.clientsignal = (self.path != "/sockjs") if clientsignal is None else clientsignal
        self.timeout = timeout
        self.sid: str | None = None
        self.connect_error: Any = None
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.opened = threading.Event()
        self.accepted = threading.Event()
        self.disconnected = threading.Event()
        self.ack_replies: dict[str, Any] = {}  # event name -> value (or callable) to ack server emits with
        self.heartbeats: list[float] = []  # monotonic times of SockJS 'h' frames
        self.messages: deque[Any] = deque()
        self._history: defaultdict[Any, list[Any]] = defaultdict(list)
        self._queues: defaultdict[Any, deque[Any]] = defaultdict(deque)
        self._acks: dict[int, _Ack] = {}
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._ws: Any = None
        self._poll_conn: http.client.HTTPConnection | None = None
        self._stop = False
        if connect:
            self.connect()

    # -- connection --------------------------------------------------------------
    def connect(self) -> bool:
        """Open the session; True when accepted, False when refused."""
        self._session = f"/{random.randint(0, 999):03d}/{uuid.uuid4().hex[:12]}"
        if self.transport == "websocket":
            headers = {k: v for k, v in self.headers.items() if k.lower() != "origin"}
            origin = next((v for k, v in self.headers.items() if k.lower() == "origin"), None)
            url = f"ws://{self.host}:{self.port}{self.path}{self._session}/websocket{self.query}"
            try:
                self._ws = websocket.create_connection(
                    url, header=[f"{k}: {v}" for k, v in headers.items()], origin=origin, timeout=self.timeout
                )
            except websocket.WebSocketBadStatusException as exc:
                self.connect_error = exc.status_code
                return False
            self._ws.settimeout(None)
            target = self._read_websocket
        else:
            target = self._poll
        threading.Thread(target=target, daemon=True, name="sockjs-test-client").start()
        if not self.opened.wait(self.timeout) and self.connect_error is None:
            raise TimeoutError(f"no SockJS open frame from {self.url} within {self.timeout}s")
        if self.connect_error is not None:
            return False
        if self.clientsignal:
            return True
        deadline = time.monotonic() + self.timeout
        while not self.accepted.is_set() and not self.disconnected.is_set() and time.monotonic() < deadline:
            self.accepted.wait(0.02)
        if self.accepted.is_set():
            return True
        if self.disconnected.is_set():
            self.connect_error = self.connect_error or self.close_reason
            return False
        raise TimeoutError(f"{self.url}: no connect or refusal within {self.timeout}s")

    @property
    def connected(self) -> bool:
        opened = self.opened.is_set() if self.clientsignal else self.accepted.is_set()
        return opened and not self.disconnected.is_set()

    def close(self) -> None:
        self._stop = True
        try:
            if self._ws is not None:
                self._ws.close()
            if self._poll_conn is not None and self._poll_conn.sock is not None:
                self._poll_conn.sock.shutdown(2)
        except OSError:
            pass

    disconnect = close

    def __enter__(self) -> "SockJSTestClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait_closed(self, timeout: float | None = None) -> tuple[int | None, str | None]:
        """``(code, reason)`` of the server's close frame (or of the dropped connection)."""
        if not self.disconnected.wait(self.timeout if timeout is None else timeout):
            raise TimeoutError("still connected")
        return self.close_code, self.close_reason

    # -- sending ----------------------------------------------------------------------
    def send_raw(self, *messages: str) -> Any:
        """Send SockJS messages (strings) as they are: for malformed-input tests."""
        body = json.dumps(list(messages))
        if self._ws is not None:
            self._ws.send(body)
            return 204
        return self._xhr_send(body)

    def send_frame(self, body: str | bytes) -> Any:
        """Send one raw SockJS frame body (not even JSON, if you like)."""
        if self._ws is not None:
            self._ws.send(body)
            return 204
        return self._xhr_send(body)

    def _send_obj(self, obj: Any) -> Any:
        return self.send_raw(json.dumps(obj))

    def emit(self, event: str, *args: Any, ack: bool = True, timeout: float | None = None) -> Any:
        """Emit ``event``; with ``ack`` wait for and return the ack's value."""
        if self.clientsignal:
            raise TypeError("a client-signal connection sends signals: use .signal(name, **data)")
        if not ack:
            self._send_obj({"type": "event", "event": event, "args": list(args)})
            return None
        ack_id = next(self._ids)
        done = _Ack()
        self._acks[ack_id] = done
        self._send_obj({"type": "event", "event": event, "args": list(args), "id": ack_id})
        wait = self.timeout if timeout is None else timeout
        if not done.wait(wait):
            raise TimeoutError(f"no ack for {event!r} within {wait}s")
        return _value(done.args)

    def send(self, message: Any) -> None:
        """A plain message (``socket_client_message``)."""
        self._send_obj({"type": "message", "data": message})

    def signal(self, name: str, /, **data: Any) -> None:
        """Send client signal ``name`` with ``data`` (Django Client Signals' wire)."""
        self._send_obj({"event": name, "data": data})
