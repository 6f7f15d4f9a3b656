"""Socket.IO on gevent: python-socketio as an adapter over the core.

* :mod:`.transport` :class:`SocketIOTransport`, the one definition: its parts
  and how ``rungevent`` serves them;
* :mod:`.server`   the python-socketio ``Server`` (``async_mode='gevent'``)
  whose connect/event/disconnect go to :mod:`realtime.endpoints`' handlers;
* :mod:`.socket`   :class:`SocketIOSocket`, the core ``Socket`` for it;
* :mod:`.adapter`  writes bus envelopes, one encode per envelope;
* :mod:`.handshake`  CONNECT before what connect receivers emit; connect timeout;
* :mod:`.compat`   every reach-in into python-engineio/python-socketio (fixes:
  exact ms pings, polls, upgrade; the direct websocket writer's needs);
* :mod:`.pywsgi_compat`  every reach-in into gevent's pywsgi;
* :mod:`.guard`    closes on malformed or over-size websocket frames (one log line);
* :mod:`.wsgi`     one WSGI app: ``/socket.io/`` (origin-checked, handshake errors) and Django.

:func:`build_app` is what ``rungevent`` serves, so another gevent server
(e.g. gunicorn's gevent worker with gevent-websocket's handler) could serve
it too. Importing this package imports no library (the names below load on
first use), so the transport registry can look at it from any process.
"""

__all__ = ["RealtimeSocketIOServer", "build_app"]


def __getattr__(name):
    if name in __all__:
        from realtime.transports.socketio import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
