"""Test your receivers against a live server, no browser needed.

::

    from realtime.testing import LiveServer, SocketIOTestClient

    def test_chat_acks():
        with LiveServer("rungevent") as server, SocketIOTestClient(server.url) as client:
            assert client.emit("chat", {"text": "hi"}) == "ok"      # the ack
            assert client.receive("chat")                            # a broadcast

``LiveServer`` runs ``manage.py rungevent`` (or ``runsocket``) on a free port
with your project's settings, in a child process, exactly as production
would; the clients speak the real wire protocol.
"""

from realtime.testing.server import LiveServer, free_port, free_ports

__all__ = ["LiveServer", "free_port", "free_ports"]

try:  # each client needs its transport's packages; a project may have one transport
    from realtime.testing.socketio import SocketIOTestClient  # noqa: F401

    __all__.append("SocketIOTestClient")
except ImportError:
    pass
try:
    from realtime.testing.sockjs import SockJSTestClient  # noqa: F401

    __all__.append("SockJSTestClient")
except ImportError:
    pass
