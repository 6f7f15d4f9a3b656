"""``SignalConnection``: Django signals that cross the wire.

One connection object per client connection (never a class-level state
shared by all clients: Django Client Signals kept listeners in a class dict that each
new connection overwrote, so closed connections kept receiving and live
ones went deaf). What a class declares (``listen``/``broadcast``) is read
by every instance; what an instance declares is its own and dies with it.
"""

import functools
import inspect
import json
import keyword
import logging

from django.core.serializers.json import DjangoJSONEncoder
from django.dispatch import Signal

from realtime import bus, stats
from realtime.clientsignal import settings as cs_settings
from realtime.envelope import Envelope

logger = logging.getLogger("realtime")

#: Signal kwargs a client may not send: Django's own (``sender``, ``signal``), every
#: name a server-side caller passes or a receiver may read as trusted (``request``,
#: ``user``, ``socket``, ``connection``, ``session``, as the core's signals send them;
#: a client's ``{"user": "admin"}`` would otherwise reach a receiver that takes ``user``),
#: and "self", which collides with Signal.send_robust's own (a TypeError and a traceback,
#: found by the fuzz tests).
RESERVED = frozenset({"sender", "signal", "request", "user", "socket", "connection", "session", "event", "self"})


class SignalEncoder(DjangoJSONEncoder):
    """Django Client Signals' ``clientsignal.SignalEncoder``: dates, decimals, UUIDs, lazy strings."""


def signal_object_hook(obj):
    """Django Client Signals' ``clientsignal.signal_object_hook``: plain dicts, unchanged."""
    return obj


class SignalDataError(TypeError):
    """Signal data that cannot travel as JSON (names the signal and the fix)."""


class hybridmethod:
    """A method that works on the class (all connections) or on one instance."""

    def __init__(self, func):
        self.func = func
        functools.update_wrapper(self, func)

    def __get__(self, obj, cls):
        return functools.partial(self.func, obj if obj is not None else cls)


def encode_data(cls, name, data):
    """``data`` as plain JSON types, through the class's encoder (once per send)."""
    try:
        return json.loads(json.dumps(data, cls=cs_settings.json_encoder(cls) or SignalEncoder))
    except (TypeError, ValueError) as exc:
        raise SignalDataError(
            f"signal {name!r}: data is not JSON-serialisable ({exc}); send JSON types, or set "
            f"CLIENTSIGNAL_JSON_ENCODER (or {getattr(cls, '__name__', cls)}.json_encoder)"
        ) from None


class BaseSignalConnection:
    """A client's connection: ``event_<name>(self, **data)`` methods handle signals.

    ``request``  the Django request of the handshake (``.user``, ``.session``).
    ``socket``   the transport-neutral :class:`realtime.sockets.Socket`.

    ``on_open(request)`` may return False or raise ``ConnectionRefused`` to
    refuse the client; ``on_close()`` runs once when it goes away.
    """

    json_encoder = None
    json_object_hook = None
    sockjs_options = None

    def __init__(self, socket):
        self.socket = socket
        self._listened = {}
        self._receivers = []

    @property
    def request(self):
        return self.socket.request

    @property
    def user(self):
        return getattr(self.socket.request, "user", None)

    @property
    def url(self):
        return self.socket.endpoint

    def on_open(self, request):
        """Accept every client; override to check ``request.user``."""

    def on_close(self):
        """The client went away."""

    # -- to this client alone ----------------------------------------------------
    def send_signal(self, name, /, **data):
        """Send signal ``name`` to this client only (e.g. a pong to its pinger)."""
        self.socket.emit(name, encode_data(type(self), name, data))

    send = send_signal

    def close(self):
        self.socket.disconnect()

    # -- from the client ------------------------------------------------------
    def _listened_signal(self, name):
        if name in self._listened:
            return self._listened[name]
        for klass in type(self).__mro__:
            found = vars(klass).get("_listens", {}).get(name)
            if found is not None:
                return found
        return None

    def handle(self, name, data):
        """A signal from the client: ``event_<name>`` and/or the listened signal."""
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or len(name) > 100:
            return self._error("bad_signal", f"{str(name)[:50]!r} is not a signal name")
        if data is None:
            data = {}
        if not isinstance(data, dict) or not all(isinstance(k, str) and k.isidentifier() for k in data):
            return self._error("bad_data", f"signal {name!r}: data must be an object with identifier keys")
        if RESERVED & set(data):
            return self._error(
                "reserved_key",
                f"signal {name!r}: {sorted(RESERVED & set(data))} are set by the server, not the client "
                "(reserved keys); rename them",
            )
        method = getattr(self, f"event_{name}", None)
        signal = self._listened_signal(name)
        if method is None and signal is None:
            stats.counters.dropped += 1
            return self._error("unknown_signal", f"no listener for signal {name!r}")
        failed = False
        if method is not None:
            try:
                inspect.signature(method).bind(**data)
            except TypeError as exc:  # the client's keys do not fit the handler: its input, not our bug
                return self._error("bad_data", f"signal {name!r}: {exc}")
            try:
                method(**data)
            except Exception:
                logger.exception("%s.event_%s raised", type(self).__name__, name)
                failed = True
        if signal is not None:
            for receiver, result in signal.send_robust(sender=self, **data):
                if isinstance(result, Exception):
                    logger.error(
                        "receiver %s of signal %r raised",
                        getattr(receiver, "__qualname__", receiver),
                        name,
                        exc_info=(type(result), result, result.__traceback__),
                    )
                    failed = True
        if failed:
            return self._error("server_error", f"the server failed to handle signal {name!r}")
        return None

    def _error(self, code, text):
        """One log line and an ``error`` signal; returned, so an acked signal gets it in its ack too."""
        logger.warning("signal from %s on %s: %s", self.socket.sid, self.url, text)
        error = {"error": code, "message": text}
        self.socket.emit("error", error)
        return error

    def _cleanup(self):
        for signal, receiver in self._receivers:
            signal.disconnect(receiver)
        self._receivers.clear()


class SignalConnection(BaseSignalConnection):
    """Adds Django Client Signals' declarations; each works on the class or on one connection.

    ``PingSignalConnection.listen('ping', ping)``: a client's ``ping`` sends
    the Django signal ``ping`` with ``sender`` = the connection and the
    client's data as keyword arguments.

    ``PingSignalConnection.broadcast('pong', pong)``: ``pong.send(sender=None,
    pong="Ponged")`` from anywhere (a receiver, a view, a worker) reaches
    every client connected to a URL served by this class, in every process,
    through the bus. On an instance (``self.broadcast(...)`` in ``on_open``)
    only that client receives, and only while it is connected.

    ``register(name, signal)`` does both.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._listens = {}
        cls._broadcasts = {}

    @hybridmethod
    def listen(target, name, signal):
        _check(name, signal)
        if isinstance(target, type):
            target._listens[name] = signal
        else:
            target._listened[name] = signal

    @hybridmethod
    def broadcast(target, name, signal):
        _check(name, signal)
        if isinstance(target, type):
            target._broadcasts[name] = signal
            # one receiver per (signal, name): declaring it on a class and on a
            # subclass (or module-level too) must not deliver it twice
            key = (id(signal), name)
            if key not in _broadcasters:
                _broadcasters[key] = _ClassBroadcast(name)
                signal.connect(_broadcasters[key], weak=False, dispatch_uid=("clientsignal", name))
            _broadcasters[key].classes.add(target)
        else:

            def receiver(sender, signal=None, **data):
                target.send_signal(name, **data)

            signal.connect(receiver, weak=False)
            target._receivers.append((signal, receiver))

    @hybridmethod
    def register(target, name, signal):
        target.listen(name, signal)
        target.broadcast(name, signal)


SignalConnection._listens = {}
SignalConnection._broadcasts = {}


def _check(name, signal):
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a client signal name is an identifier such as 'ping', not {name!r}")
    if not isinstance(signal, Signal):
        raise TypeError(f"{name!r}: expected a django.dispatch.Signal, got {type(signal).__name__}")


_broadcasters = {}


class _ClassBroadcast:
    """Receiver publishing a broadcast signal to every URL its classes serve."""

    def __init__(self, name):
        self.name = name
        self.classes = set()
        self.__qualname__ = f"clientsignal.broadcast({name!r})"

    def __call__(self, sender, signal=None, **data):
        from realtime.clientsignal import connections

        served = connections()
        classes = tuple(self.classes)
        urls = [url for url, c in served.items() if isinstance(c, type) and issubclass(c, classes)]
        for url in urls:
            payload = encode_data(served[url], self.name, data)
            bus.publish(Envelope.for_event(self.name, [payload], endpoint=url))
        if not urls:
            logger.debug("signal %r broadcast, but no CLIENTSIGNAL_CONNECTIONS URL serves it", self.name)
