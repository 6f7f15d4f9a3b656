"""``SockJSTestClient``: a real SockJS client for tests (websocket or xhr-polling).

::

    with LiveServer("runsocket") as server:
        with SockJSTestClient(server.url + "/sockjs", cookies=server.login("ann")) as ann:
            assert ann.emit("whoami")["user"] == "ann"       # the ack's value
            ann.emit("chat", "hi", ack=False)
            assert ann.receive("chat") == "hi"

        with SockJSTestClient(server.url + "/simple", clientsignal=True) as client:
            client.signal("ping", ping="stringping")
            assert client.receive_signal("pong") == {"pong": "Ponged"}

It speaks the SockJS protocol itself (``o``/``h``/``a[...]``/``c[...]``
frames), over a raw websocket (websocket-client) or an xhr-polling session
(long-polling POSTs), with our framing on the core endpoint (see
``realtime.transports.sockjs``) or Django Client Signals' client-signal wire. Values
follow the Socket.IO test client's rule: no argument gives ``None``, one
gives that value, several give a list.
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


def _value(args: tuple[Any, ...] | list[Any]) -> Any:
    if not args:
        return None
    return args[0] if len(args) == 1 else list(args)


class _Ack(threading.Event):
    """Set when the server acks an emit; ``args`` holds the ack's arguments."""

    args: list[Any] = []


class SockJSTestClient:
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

    # -- receiving -------------------------------------------------------------------------
    def receive(self, event: str, timeout: float | None = None) -> Any:
        """The next value of ``event`` (waiting up to ``timeout`` seconds)."""
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        with self._cond:
            while not self._queues[event]:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {event!r} within {wait}s")
                self._cond.wait(left)
            return self._queues[event].popleft()

    receive_signal = receive

    def receive_message(self, timeout: float | None = None) -> Any:
        """The next plain message."""
        return self.receive("\0message", timeout)

    def receive_raw(self, timeout: float | None = None) -> Any:
        """The next SockJS message that is not one of our frames, as text."""
        return self.receive("\0raw", timeout)

    def received(self, event: str) -> list[Any]:
        with self._cond:
            return list(self._history[event])

    def assert_nothing(self, event: str, within: float = 0.3) -> None:
        time.sleep(within)
        with self._cond:
            pending = list(self._queues[event])
        assert not pending, f"unexpected {event!r}: {pending!r}"

    # -- SockJS frames ----------------------------------------------------------------------
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

    def _push(self, event: Any, value: Any) -> None:
        with self._cond:
            self._history[event].append(value)
            self._queues[event].append(value)
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

    # -- xhr-polling ---------------------------------------------------------------------------
    def _request(self, conn: http.client.HTTPConnection, suffix: str, body: bytes = b"") -> tuple[int, str]:
        headers = {"Content-Type": "text/plain;charset=UTF-8", **self.headers}
        conn.request("POST", f"{self.path}{self._session}/{suffix}{self.query}", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode()

    def _poll(self) -> None:
        self._poll_conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            while not self._stop and not self.disconnected.is_set():
                status, body = self._request(self._poll_conn, "xhr")
                if status != 200:
                    self.connect_error = status
                    break
                for line in body.splitlines():
                    self._frame(line)
        except Exception:
            if self.close_code is None:
                self.close_code, self.close_reason = 1006, "connection dropped"
        self._closed()

    def _xhr_send(self, body: str | bytes) -> int:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            status, _ = self._request(conn, "xhr_send", body.encode() if isinstance(body, str) else body)
            return status
        finally:
            conn.close()
