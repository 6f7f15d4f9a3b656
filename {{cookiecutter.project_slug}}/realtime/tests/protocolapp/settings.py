"""LiveServer settings for the protocol tests: the test settings plus a greeting client-signal URL."""

from realtime.testing.settings import *  # noqa: F401,F403

CLIENTSIGNAL_CONNECTIONS = {
    **globals().get("CLIENTSIGNAL_CONNECTIONS", {}),  # the project's (e.g. /pingpong), if any
    "/greet": "realtime.tests.protocolapp.clientsignals.GreetingConnection",
}
