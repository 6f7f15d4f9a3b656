"""The server the Socket.IO protocol documents test against, written as our receivers.

The socket.io-protocol test suite expects a server that greets every
connection with ``auth`` (the CONNECT payload), echoes ``message`` as
``message-back`` and acks ``message-with-ack`` with its arguments, on ``/``
and ``/custom``. This app is that server, so our own protocol tests and the
suite (see the template README, "Protocol conformance") run against
``rungevent`` exactly as a user's receivers would.
"""

from django.apps import AppConfig


class ProtocolAppConfig(AppConfig):
    name = "realtime.tests.protocolapp"
    label = "realtime_protocolapp"

    def ready(self):
        from realtime import dispatch, endpoints
        from realtime.tests.protocolapp import receivers  # noqa: F401

        # /custom is served by the same signals as "/" (the reference server has both).
        endpoints.register("/custom", dispatch)
