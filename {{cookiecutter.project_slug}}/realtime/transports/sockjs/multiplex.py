"""Every endpoint over one SockJS connection: websocket-multiplex framing.

Without it a page opens one SockJS connection per endpoint it uses (the core
endpoint, each client-signal URL). At ``<REALTIME_SOCKJS_PREFIX>/mux``
(``/sockjs/mux``) one connection carries them all, as channels, with the
framing of sockjs' websocket-multiplex: each SockJS message is one frame
``type,topic[,payload]``. A topic is an endpoint (``/`` the core endpoint, or a
``CLIENTSIGNAL_CONNECTIONS`` URL such as ``/pingpong``), optionally followed by
``?query`` (that channel's ``request.GET``, as the query string of the
endpoint's own URL would be; commas percent-encoded) and ``#tag`` (any text,
to open several channels to one endpoint: ``/``, ``/#2``)::

    client -> server
      sub,<topic>              open a channel to that endpoint (its connect runs)
      msg,<topic>,<payload>    one message of that endpoint's own wire (the
                               core framing or Django Client Signals' one)
      uns,<topic>              close the channel (its disconnect runs)

    server -> client
      msg,<topic>,<payload>
      uns,<topic>,<json>       the server closed the channel, e.g.
                               {"code": 4403, "reason": "refused"}

Close codes in ``uns`` are the ones a plain SockJS session closes with
(4000 disconnected by the server, 4403 refused, 4429 flooding), plus 4400
(a bad frame or topic, or more than ``MAX_CHANNELS`` channels: the reason
says which and what to send), 4404 (no
such endpoint: the reason lists the served ones), 4406 (a plain
sockjs-tornado connection: connect to its own URL) and 4409 (that topic is
already open). A channel is the endpoint's own connection in every other way:
its handler (the core's or a ``SignalEndpoint``) connects, refuses, checks
auth and rate limits and the message size limit per channel, exactly as on
the endpoint's own URL, which keeps working. Origin is checked once, on the
handshake, as on every SockJS URL. A plain sockjs-tornado ``SockJSConnection``
in ``CLIENTSIGNAL_CONNECTIONS`` is served on its own URL only.
"""

import copy
import json
import logging

from sockjs.tornado import SockJSConnection

from realtime import conf, stats
from realtime.transports.sockjs.connection import (
    CLOSE_DISCONNECT,
    RealtimeConnection,
    SockJSSocket,
    send_prepared,
)

logger = logging.getLogger("realtime")

CLOSE_BAD_FRAME = 4400
CLOSE_UNKNOWN = 4404
CLOSE_PLAIN = 4406
CLOSE_TWICE = 4409
MAX_TOPIC = 200
#: Channels one connection may hold at once: each is a socket (a request, a
#: worker queue, its own rate limit), so a client must not open thousands.
MAX_CHANNELS = 32


def prefix():
    """Where the multiplexed endpoint is mounted (``/sockjs/mux`` by default)."""
    return conf.sockjs_prefix() + "/mux"


class ChannelSocket(SockJSSocket):
    """A :class:`SockJSSocket` whose texts travel as ``msg,<topic>,<text>``."""

    def __init__(self, conn, sid, endpoint, wire, io_loop):
        super().__init__(conn, sid, endpoint, wire, io_loop)
        self.frame_prefix = f"msg,{conn.topic},"

    def _write_text(self, text):
        if text is not None:
            self.io_loop.add_callback(self._send_on_loop, json.dumps(self.frame_prefix + text))

    def _close(self, code=CLOSE_DISCONNECT, reason="disconnect"):
        self.io_loop.add_callback(self.conn.close_channel, code, reason)


class Channel(RealtimeConnection):
    """One endpoint's connection inside a multiplexed session.

    It is a :class:`RealtimeConnection` (same connect, limits, workers and
    disconnect), whose session is the multiplexed one while the channel is
    open and None once it is closed, so nothing more is written to it.
    """

    socket_class = ChannelSocket
    abort_on_broken_json = False

    def __init__(self, mux, topic, endpoint, wire):  # no SockJSConnection.__init__: the session is the mux's
        self.mux, self.topic, self.endpoint, self.wire = mux, topic, endpoint, wire
        self.io_loop = mux.io_loop
        self.closed = False

    @property
    def session(self):
        return None if self.closed else self.mux.session

    def close_channel(self, code, reason):  # IOLoop: the server closes the channel
        if self.closed:
            return
        self.mux.send_frame(f"uns,{self.topic},{json.dumps({'code': code, 'reason': str(reason)})}")
        self.ended()

    def ended(self):  # IOLoop: closed by either side, or the whole session went away
        if not self.closed:
            self.closed = True
            self.mux.channels.pop(self.topic, None)
            self.on_close()


class MultiplexConnection(SockJSConnection):
    """The sockjs-tornado connection class of the multiplexed endpoint.

    ``topics`` (set by :func:`build_router`): ``{endpoint: wire}`` of the
    endpoints a channel may open; ``plain``: the URLs served only on their own.
    """

    io_loop = None
    topics = {}
    plain = ()

    def on_open(self, info):
        self.info = info
        self.channels = {}

    def send_frame(self, text):
        if self.session is not None and not self.session.is_closed:
            send_prepared(self.session, json.dumps(text))

    def on_message(self, text):  # IOLoop
        kind, _, rest = str(text).partition(",")
        topic, _, payload = rest.partition(",")
        if kind == "msg":
            channel = self.channels.get(topic)
            if channel is None:
                shown = topic[:MAX_TOPIC]
                return self._refuse(topic, CLOSE_BAD_FRAME, f"not subscribed to {shown!r}: send sub,{shown} first")
            return channel.on_message(payload)
        if kind == "sub":
            return self._subscribe(topic)
        if kind == "uns":
            channel = self.channels.get(topic)
            if channel is not None:
                channel.ended()
            return None
        return self._refuse(
            topic,
            CLOSE_BAD_FRAME,
            f"unknown multiplex frame type {kind[:20]!r}: send sub,<topic>, msg,<topic>,<payload> or uns,<topic>",
        )

    def _subscribe(self, topic):
        if topic in self.channels:
            return self._refuse(topic, CLOSE_TWICE, f"{topic!r} is open already (add '#<tag>' for another channel)")
        if len(self.channels) >= MAX_CHANNELS:
            why = f"too many channels on one connection (at most {MAX_CHANNELS}): close one (uns) first"
            return self._refuse(topic, CLOSE_BAD_FRAME, why)
        if not topic.startswith("/") or len(topic) > MAX_TOPIC or not topic.isprintable() or " " in topic:
            why = f"bad topic {topic[:MAX_TOPIC]!r}: a topic is an endpoint path such as '/' or '/pingpong'"
            return self._refuse(topic, CLOSE_BAD_FRAME, why)
        endpoint, _, rest = topic.partition("#")[0].partition("?")
        wire = self.topics.get(endpoint)
        if wire is None:
            if endpoint in self.plain:
                why = f"{endpoint!r} is a plain SockJSConnection: connect to its own URL, it cannot be multiplexed"
                return self._refuse(topic, CLOSE_PLAIN, why)
            why = f"no endpoint {endpoint!r}; served here: {sorted(self.topics)} (CLIENTSIGNAL_CONNECTIONS)"
            return self._refuse(topic, CLOSE_UNKNOWN, why)
        info = copy.copy(self.info)
        info.query = rest  # the channel's own request.GET
        channel = self.channels[topic] = Channel(self, topic, endpoint, wire)
        channel.on_open(info)
        return None

    def _refuse(self, topic, code, reason):
        stats.counters.dropped += 1
        logger.warning("multiplexed SockJS session from %s: %s", getattr(self.info, "ip", "?"), reason)
        self.send_frame(f"uns,{topic[:MAX_TOPIC]},{json.dumps({'code': code, 'reason': reason})}")

    def on_close(self):  # IOLoop
        for channel in list(getattr(self, "channels", {}).values()):
            channel.ended()


def build_router(io_loop):
    """``(prefix, router)`` of the multiplexed endpoint, serving every mounted endpoint."""
    from realtime.transports.sockjs.router import endpoint_options, endpoint_wire, hardened_router, mounted

    topics, plain = {}, []
    for url, endpoint, _cls, wire in mounted():
        if wire is None:
            plain.append(url)
        else:
            topics[endpoint] = endpoint_wire(endpoint, wire)
    attrs = {"io_loop": io_loop, "topics": topics, "plain": tuple(plain)}
    connection = type("MultiplexConnection_", (MultiplexConnection,), attrs)
    where = prefix()
    return where, hardened_router(connection, where, endpoint_options(where), io_loop)


__all__ = ["MultiplexConnection", "Channel", "ChannelSocket", "build_router", "prefix"]
