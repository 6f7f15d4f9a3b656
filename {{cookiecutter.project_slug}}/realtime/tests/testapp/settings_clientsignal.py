"""LiveServer settings for client-signal and SockJS tests: the test settings plus connections."""

import os

from realtime.testing.settings import *  # noqa: F401,F403
from realtime.testing.settings import REALTIME_TRANSPORTS  # noqa: F401 - the project's

CLIENTSIGNAL_CONNECTIONS = {
    "/simple": "realtime.tests.testapp.clientsignals.PingSignalConnection",
    "/private": "realtime.tests.testapp.clientsignals.PrivateConnection",
    "/per": "realtime.tests.testapp.clientsignals.PerConnection",
    "/closing": "realtime.tests.testapp.clientsignals.ClosingConnection",
}
if "sockjs" in REALTIME_TRANSPORTS:
    CLIENTSIGNAL_CONNECTIONS["/plain"] = "realtime.tests.testapp.plain_sockjs.EchoConnection"
    CLIENTSIGNAL_CONNECTIONS["/plain_close"] = "realtime.tests.testapp.plain_sockjs.CloseConnection"

# REALTIME_TEST_SETTINGS may add per-endpoint options (it was applied by the import above)
REALTIME_SOCKJS_OPTIONS = {
    "*": {"heartbeat_delay": float(os.environ.get("REALTIME_TEST_HEARTBEAT", "25"))},
    **globals().get("REALTIME_SOCKJS_OPTIONS", {}),
}
REALTIME_MAX_MESSAGE_BYTES = 8192
