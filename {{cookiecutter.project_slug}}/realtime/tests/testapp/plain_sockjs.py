"""A plain sockjs-tornado connection, mounted as existing code would be."""

from sockjs.tornado import SockJSConnection


class EchoConnection(SockJSConnection):
    def on_message(self, message):
        self.send("echo:" + message)
