"""Plain sockjs-tornado connections, mounted as existing code would be."""

from sockjs.tornado import SockJSConnection


class EchoConnection(SockJSConnection):
    def on_message(self, message):
        self.send("echo:" + message)


class CloseConnection(SockJSConnection):
    """Closes inside ``on_open``, like the protocol suite's ``close`` service.

    ``?code=4001&reason=...`` chooses the close frame (default ``3000, "Go away!"``).
    """

    def on_open(self, info):
        code, reason = (info.get_argument(name) or b"" for name in ("code", "reason"))  # bytes, as tornado parsed them
        if code or reason:
            self.session.close(int(code or 3000), reason.decode())
        else:
            self.close()

    def on_message(self, message):
        pass
