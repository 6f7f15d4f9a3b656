"""The django-realtime README's examples, as written, on Socket.IO.

``realtime.tests.legacyapp`` holds the README's receivers verbatim: they print
``socket.session.session_id`` on connect, disconnect, message and event, ack
every event with ``'I have received your message!'``, and list
``connected_sockets``. The test app is installed too, to show that a generic
``socket_client_event`` receiver and per-type receivers both run.
"""

import time
import uuid

from realtime.testing import SocketIOTestClient


def wait_for_log(server, text, timeout=5):
    deadline = time.monotonic() + timeout
    while text not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.log()


def test_django_realtime_readme_receivers_work_as_written(legacy_server):
    with SocketIOTestClient(legacy_server.url) as c:
        sid = c.sid
        assert f"{sid} connected" in wait_for_log(legacy_server, f"{sid} connected")

        token = uuid.uuid4().hex[:8]
        # the README's handle_event acks every event that asks for one
        assert c.emit("hello", token) == "I have received your message!"
        assert f"{sid} => event 'hello' ({token!r})" in wait_for_log(legacy_server, token)

        c.send(f"plain {token}")
        assert f"{sid} => message 'plain {token}'" in wait_for_log(legacy_server, f"plain {token}")

        c.emit("list_sockets")
        log = wait_for_log(legacy_server, f"- {sid}")
        assert "Connected sockets:" in log and f"- {sid}" in log

    assert f"{sid} disconnected" in wait_for_log(legacy_server, f"{sid} disconnected")


def test_generic_and_typed_receivers_both_run(legacy_server):
    """socket_client_event (the README's) and socket_client_event_by_type['send_me'] (the test app's)."""
    with SocketIOTestClient(legacy_server.url) as c:
        token = uuid.uuid4().hex[:8]
        # the generic receiver acked first, so the typed receiver's ack is not sent twice
        assert c.emit("send_me", token) == "I have received your message!"
        assert c.receive("message") == token  # the typed receiver ran
        assert f"=> event 'send_me' ({token!r})" in wait_for_log(legacy_server, token)  # the generic one too
