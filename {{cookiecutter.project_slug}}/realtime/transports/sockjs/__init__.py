"""SockJS on tornado (sockjs-tornado 1.0.7): an adapter over the realtime core.

``manage.py runsocket`` runs :class:`~realtime.transports.sockjs.server.SockJSServer`:
one sockjs-tornado router per endpoint (the core endpoint at
``REALTIME_SOCKJS_PREFIX``, default ``/sockjs``, and one per
``CLIENTSIGNAL_CONNECTIONS`` URL), ``/healthz``, and Django with ``--django``.

Threads: the IOLoop only parses frames and writes; connect, event, message
and disconnect receivers run in a worker pool, in order per socket
(``workers``), so ORM queries neither raise ``SynchronousOnlyOperation`` nor
stall other connections. Writes from any thread hop onto the loop.

Settings (all optional; checked when ``runsocket`` starts)
---------------------------------------------------------

=================================  ============================================
``REALTIME_SOCKJS_PREFIX``         the core endpoint's prefix (``/sockjs``).
``REALTIME_SOCKJS_OPTIONS``        per-endpoint sockjs-tornado options:
                                   ``{"*" or url: {option: value}}`` (see
                                   ``router``); a connection class may set
                                   ``sockjs_options`` too. E.g. turn the
                                   old-browser transports off:
                                   ``{"*": {"disabled_transports":
                                   ["jsonp", "htmlfile"]}}``.
``REALTIME_SOCKJS_WORKERS``        receiver threads (8).
``REALTIME_SOCKJS_DJANGO_THREADS`` threads serving Django with ``--django`` (4).
``REALTIME_SOCKJS_XHEADERS``       trust ``X-Forwarded-For``/``-Proto`` (only
                                   behind a proxy that sets them; False).
``REALTIME_SOCKJS_CLIENT_URL``     sockjs-client for the iframe transports
                                   (default: our vendored copy).
``REALTIME_MAX_MESSAGE_BYTES``     largest client message, in UTF-8 bytes.
=================================  ============================================

Framing on the core endpoint
----------------------------

Each SockJS message is one JSON object (UTF-8 text)::

    client -> server
      {"type": "event", "event": "chat", "args": [...], "id": 7}  # "id": ack wanted
      {"type": "ack", "id": 3, "args": [...]}     # answers a server emit with callback
      {"type": "message", "data": <any JSON>}     # socket_client_message

    server -> client
      {"type": "connect", "sid": "<sid>"}         # socket_connected receivers accepted
      {"type": "event", "event": "chat", "args": [...], "id": 3}  # "id": ack wanted
      {"type": "ack", "id": 7, "args": [...]}     # the ack of client event 7
      {"type": "message", "data": <any JSON>}

Errors are events named ``error`` with ``{"error": code, "message": text}``:
``refused`` (then the session closes with code 4403: do not reconnect),
``unknown_event``, ``bad_event``, ``server_error`` (in the ack when one was
asked for), ``bad_frame`` (JSON but not a frame above), ``too_large`` (over
``REALTIME_MAX_MESSAGE_BYTES``). None of these closes the connection except
``refused``. A SockJS websocket frame that is not JSON at all closes the
connection abruptly, as the SockJS protocol requires (on the raw
``/websocket``, where each websocket message is one of our frames, so does a
message that is not JSON); on ``xhr_send``/``jsonp_send`` it answers 500
``Broken JSON encoding.``. Close codes: 4000 the server disconnected the
socket, 4403 refused, 1012 the server restarts (reconnect). A client that sends faster
than its receivers run is read more slowly (backpressure), never cut off.

Client-signal endpoints speak Django Client Signals' ``{"event": name, "data": {...}}``
both ways (``framing.SignalWire``); errors arrive as the signal ``error``.

The SockJS protocol (0.3.3) is followed on every endpoint, plain
``SockJSConnection`` classes included: the sockjs-protocol suite passes 67 of
its 68 cases (bare sockjs-tornado 1.0.7: 47); the one left is ``test_haproxy``,
the 2010 hixie-76 websocket draft, which tornado 6 does not speak and no
browser sends. sockjs-tornado 1.0.7 defects worked around (``handlers``,
``legacy``, ``session``): JSONP/htmlfile callbacks echoed unvalidated,
``</script>`` unescaped in htmlfile frames, close frames with unescaped
reasons, closing a session in ``on_open`` breaking polling, the 0.3 iframe
page from a CDN, missing or wrong headers (``Cache-Control: no-transform``,
EventSource's type, ``xhr_send``'s type, 405 bodies), HTTP/1.0 streaming
responses left open, the raw websocket's close without its reason, and
``Access-Control-Allow-Origin`` echoing any origin (Origin checked first).
"""
