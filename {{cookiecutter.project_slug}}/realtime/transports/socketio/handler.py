"""gevent-websocket's handler, with our checks before the upgrade.

gevent-websocket answers ``101 Switching Protocols`` before the WSGI app
runs, so a refusal made by the app could only close an open websocket. This
handler asks :meth:`RealtimeWSGIApp.refusal` first, so a disallowed Origin
gets an HTTP ``403`` a browser reports as such. The websocket it creates
reads frames through :mod:`.frames`, which refuses one over
``REALTIME_MAX_MESSAGE_BYTES`` on its header, before reading its payload.

Its connection's read buffer is 1 KB rather than pywsgi's 8 KB: the buffer
lives as long as the websocket, and 8 KB was the largest single item an idle
connection held (the benchmark's memory profile). Request lines, headers and
frame headers are read through it in 1 KB steps; a larger payload is read
past it straight from the socket.
"""

from geventwebsocket.handler import WebSocketHandler

from realtime.transports.socketio import frames
from realtime.transports.socketio.pywsgi_compat import ClientErrorsMixin


#: Bytes of the per-connection read buffer (pywsgi's default: io.DEFAULT_BUFFER_SIZE, 8 KB).
READ_BUFFER = 1024


class RealtimeWebSocketHandler(ClientErrorsMixin, WebSocketHandler):
    def __init__(self, sock, address, server, rfile=None):
        if rfile is None:
            rfile = sock.makefile("rb", READ_BUFFER)
        super().__init__(sock, address, server, rfile)

    def upgrade_websocket(self):
        if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            check = getattr(self.application, "refusal", None)
            refusal = check(self.environ) if check is not None else None
            if refusal is not None:
                status, text = refusal
                body = text.encode()
                self.start_response(
                    status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
                )
                return [body]
        return super().upgrade_websocket()

    def upgrade_connection(self):
        refusal = super().upgrade_connection()
        websocket = getattr(self, "websocket", None)
        if websocket is not None:
            frames.adopt(websocket)
        return refusal
