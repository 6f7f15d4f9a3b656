"""Socket.IO on gevent: python-socketio as an adapter over the core.

* :mod:`.server`   the python-socketio ``Server`` (``async_mode='gevent'``)
  whose connect/event/disconnect go to :mod:`realtime.endpoints`' handlers;
* :mod:`.socket`   :class:`SocketIOSocket`, the core ``Socket`` for it;
* :mod:`.adapter`  writes bus envelopes, one encode per envelope;
* :mod:`.handshake`  CONNECT before what connect receivers emit; connect timeout;
* :mod:`.engineio_compat`  fixes to python-engineio (exact ms pings, polls, upgrade);
* :mod:`.guard`    closes on malformed or over-size websocket frames (one log line);
* :mod:`.wsgi`     one WSGI app: ``/socket.io/`` (origin-checked, handshake errors) and Django.

``manage.py rungevent`` puts them together; :func:`build_app` is what it
serves, so another gevent server (e.g. gunicorn's gevent worker with
gevent-websocket's handler) could serve it too.
"""

from realtime.transports.socketio.server import RealtimeSocketIOServer, build_app

__all__ = ["RealtimeSocketIOServer", "build_app"]
