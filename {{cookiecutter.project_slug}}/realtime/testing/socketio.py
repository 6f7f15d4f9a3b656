"""``SocketIOTestClient``: a real Socket.IO client for tests, in a few lines.

::

    with LiveServer("rungevent") as server:
        with SocketIOTestClient(server.url, cookies=server.login("ann")) as ann:
            assert ann.emit("whoami")["user"] == "ann"     # the ack's value
            ann.emit("chat", "hi", ack=False)
            assert ann.receive("chat") == "hi"              # next "chat" args

It wraps python-socketio's threaded ``Client`` (websocket-client for the
websocket transport), so it speaks exactly what a browser's socket.io-client
4.x speaks, and needs no event loop in the test.

Values follow one rule everywhere: no argument gives ``None``, one argument
gives that value, several give a list.
"""

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from typing import Any

import socketio
from socketio import packet as sio_packet


def _value(args: tuple[Any, ...] | list[Any]) -> Any:
    if not args:
        return None
    if len(args) == 1:
        return args[0]
    return list(args)


class SocketIOTestClient:
    """A connected Socket.IO client.

    ``url``         the server, e.g. ``LiveServer.url``; a query string
                    (``?private=1``) reaches ``request.GET`` on the server.
    ``transports``  ``["websocket"]`` (default) or ``["polling"]`` (or both).
    ``headers``     extra handshake headers (``{"Origin": ...}``).
    ``cookies``     a dict, e.g. ``LiveServer.login("ann")``.
    ``namespace``   the endpoint (``"/"`` or a client-signal URL).
    ``auth``        the Socket.IO ``auth`` payload.
    ``path``        the Socket.IO path (``REALTIME_SOCKETIO_PATH``).

    If the server refuses the connection, ``connected`` is False and
    ``connect_error`` holds the reason it gave; any other failure raises.
    """

    def __init__(
        self,
        url: str,
        transports: Iterable[str] = ("websocket",),
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        namespace: str = "/",
        auth: Any = None,
        path: str = "socket.io",
        timeout: float = 5,
        connect: bool = True,
    ) -> None:
        self.url = url
        self.transports = list(transports)
        self.headers = dict(headers or {})
        if cookies:
            self.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.namespace = namespace
        self.auth = auth
        self.path = path
        self.timeout = timeout
        self.connect_error: Any = None
        self.disconnected = threading.Event()
        self.ack_replies: dict[str, Any] = {}  # event name -> value (or callable) the client acks with
        self._history: defaultdict[str, list[Any]] = defaultdict(list)
        self._queues: defaultdict[str, deque[Any]] = defaultdict(deque)
        self._cond = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._on_event, namespace=namespace)
        self._accepted = threading.Event()
        self.client.on("connect", self._on_connect, namespace=namespace)
        self.client.on("connect_error", self._on_connect_error, namespace=namespace)
        self.client.on("disconnect", self._on_disconnect, namespace=namespace)
        if connect:
            self.connect()

    # -- connection ------------------------------------------------------------
    def connect(self) -> bool:
        """Connect; True if accepted, False if refused (see ``connect_error``)."""
        self.connect_error = None
        self._accepted.clear()
        try:
            self.client.connect(
                self.url,
                headers=self.headers,
                transports=self.transports,
                namespaces=[self.namespace],
                socketio_path=self.path,
                auth=self.auth,
                wait=False,  # waited for below: python-socketio's own wait blocks for a
                # ping interval when a polling connection is refused
            )
        except socketio.exceptions.ConnectionError:
            if self.connect_error is None:
                raise
            return False  # refused before Socket.IO: e.g. the Origin (HTTP 403)
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while not self._accepted.is_set() and self.connect_error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.client.eio.disconnect(abort=True)
                    raise TimeoutError(f"no answer to CONNECT within {self.timeout}s")
                self._cond.wait(left)
        if self._accepted.is_set():
            return True
        self.client.eio.disconnect(abort=True)
        return False

    @property
    def connected(self) -> bool:
        return self.client.connected and self.namespace in self.client.namespaces

    @property
    def sid(self) -> str | None:
        return self.client.get_sid(self.namespace)

    def disconnect(self) -> None:
        """Disconnect, so that the server sees it at once (both transports)."""
        if self.connected and self.client.transport() == "polling":
            # python-engineio's polling client can drop the packets queued
            # just before it disconnects (its write loop stops on the state
            # change); the server would only notice at the next ping. Send
            # the namespace's DISCONNECT first and let the queue drain.
            self.client._send_packet(self.client.packet_class(sio_packet.DISCONNECT, namespace=self.namespace))
            deadline = time.monotonic() + 2
            while self.client.eio.queue.unfinished_tasks and time.monotonic() < deadline:
                time.sleep(0.01)
        self.client.shutdown()

    close = disconnect

    def __enter__(self) -> "SocketIOTestClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    # -- sending ---------------------------------------------------------------
    def emit(self, event: str, *args: Any, ack: bool = True, timeout: float | None = None) -> Any:
        """Emit ``event``; with ``ack`` (default) wait for and return the ack's value.

        Raises ``TimeoutError`` if no ack comes within ``timeout`` seconds.
        """
        if not ack:
            self.client.emit(event, data=tuple(args), namespace=self.namespace)
            return None
        done = threading.Event()
        reply: list[tuple[Any, ...]] = []

        def callback(*params: Any) -> None:
            reply.append(params)
            done.set()

        self.client.emit(event, data=tuple(args), namespace=self.namespace, callback=callback)
        if not done.wait(self.timeout if timeout is None else timeout):
            raise TimeoutError(f"no ack for {event!r} within {self.timeout if timeout is None else timeout}s")
        return _value(reply[0])

    def send(self, message: Any) -> None:
        """A plain message (the server's ``socket_client_message``)."""
        self.client.send(message, namespace=self.namespace)

    # -- receiving -----------------------------------------------------------------
    def receive(self, event: str, timeout: float | None = None) -> Any:
        """The next arguments of ``event`` (waiting up to ``timeout`` seconds)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._cond:
            while not self._queues[event]:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {event!r} event within {timeout or self.timeout}s")
                self._cond.wait(left)
            return self._queues[event].popleft()

    def received(self, event: str) -> list[Any]:
        """Every value of ``event`` received so far (consumed or not)."""
        with self._cond:
            return list(self._history[event])

    def assert_nothing(self, event: str, within: float = 0.3) -> None:
        """Fail if an ``event`` not yet consumed arrives within ``within`` seconds."""
        time.sleep(within)
        with self._cond:
            pending = list(self._queues[event])
        assert not pending, f"unexpected {event!r}: {pending!r}"

    # -- python-socketio callbacks (its threads) ------------------------------------
    def _on_event(self, event: str, *args: Any) -> Any:
        value = _value(args)
        with self._cond:
            self._history[event].append(value)
            self._queues[event].append(value)
            self._cond.notify_all()
        reply = self.ack_replies.get(event)
        return reply(*args) if callable(reply) else reply

    def _on_connect(self, *args: Any) -> None:
        with self._cond:
            self._accepted.set()
            self._cond.notify_all()

    def _on_connect_error(self, data: Any = None) -> None:
        with self._cond:
            if isinstance(data, dict):
                self.connect_error = data.get("message", data)
            else:
                self.connect_error = data or "refused"
            self._cond.notify_all()

    def _on_disconnect(self, *reason: Any) -> None:
        self.disconnected.set()
