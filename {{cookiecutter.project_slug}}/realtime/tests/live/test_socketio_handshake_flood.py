"""Bare Engine.IO handshakes from one address are limited too (issue 13 point 4: long-poll floods).

An Engine.IO session that joins no namespace is not a socket yet, so the
per-address socket count does not see it, and over one keep-alive
connection HAProxy's per-connection limits do not either: a script could
open thousands, each living ``REALTIME_CONNECT_TIMEOUT`` seconds. They are
counted per address against ``REALTIME_MAX_CONNECTIONS_PER_IP``: past it the
handshake gets 401 and one log line, and a slot comes back when a session
joins a namespace or ends.
"""

import json

import requests

from realtime.testing import LiveServer

from realtime.tests.conftest import TEST_APPS


def test_a_handshake_flood_over_one_connection_is_refused_past_the_limit():
    env = {"REALTIME_TEST_SETTINGS": json.dumps({"REALTIME_MAX_CONNECTIONS_PER_IP": 5})}
    with LiveServer.for_transport("socketio", extra_apps=TEST_APPS, env=env) as server:
        http = requests.Session()  # one keep-alive connection for all of them
        url = f"{server.url}/socket.io/?EIO=4&transport=polling"
        answers = [http.get(url, timeout=10) for _ in range(12)]
        assert [a.status_code for a in answers] == [200] * 5 + [401] * 7
        # a session that joins a namespace frees its slot for the next handshake
        sid = json.loads(answers[0].text[1:])["sid"]
        assert http.post(f"{url}&sid={sid}", data="40", timeout=10).status_code == 200
        assert http.get(f"{url}&sid={sid}", timeout=10).text.startswith("40")
        assert http.get(url, timeout=10).status_code == 200
        assert http.get(url, timeout=10).status_code == 401
        log = server.log()
    assert log.count("refusing Engine.IO handshakes from 127.0.0.1") == 1, log[-2000:]
    assert "Traceback" not in log
