"""A client-signal connection that sends a signal from ``on_open``, before it is connected."""

from realtime import clientsignal


class GreetingConnection(clientsignal.SignalConnection):
    def on_open(self, request):
        self.send_signal("hello", sid=self.socket.sid)
