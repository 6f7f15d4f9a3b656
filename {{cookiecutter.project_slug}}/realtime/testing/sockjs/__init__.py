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

A package of small modules, one concern each: ``client`` (connecting and
sending), ``frames`` (reading what the server sends), ``inbox`` (waiting for
it) and ``polling`` (the xhr-polling transport). They import one another
relatively and need only the standard library and websocket-client, so the
package also loads by file path with no Django around: the template's
production test drives a baked stack with it from outside the project.
"""

from .client import SockJSTestClient

__all__ = ["SockJSTestClient"]
