"""Exact origins (issue 16, point 4): scheme, host and port, on both transports.

The attack: a page on another port of the same host (or plain http next to
https) carries the user's cookies, since cookies ignore ports; with
``ALLOWED_HOSTS = ["*"]`` any site could open a socket. Each refusal below
was an acceptance before.
"""

import pytest
import requests
import websocket
from realtime import conf
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from realtime import origins
from realtime.testing import LiveServer

from realtime.tests.conftest import TEST_APPS


def environ(host, scheme="http", remote="203.0.113.9", **headers):
    return {"HTTP_HOST": host, "wsgi.url_scheme": scheme, "REMOTE_ADDR": remote, "SERVER_NAME": "x", **headers}


@override_settings(ALLOWED_HOSTS=["*"], REALTIME_ALLOWED_ORIGINS=None, CSRF_TRUSTED_ORIGINS=[])
def test_same_origin_is_exact_scheme_host_and_port():
    here = environ("example.com:8443", "https")
    assert origins.origin_allowed("https://example.com:8443", here)
    assert origins.origin_allowed("https://EXAMPLE.com:8443/", here)
    assert origins.origin_allowed("wss://example.com:8443", here)  # ws(s) is http(s) of the same host
    assert not origins.origin_allowed("https://example.com:8444", here)  # another port
    assert not origins.origin_allowed("https://example.com", here)  # the default port is another port
    assert not origins.origin_allowed("http://example.com:8443", here)  # another scheme
    assert not origins.origin_allowed("ws://example.com:8443", here)
    assert not origins.origin_allowed("https://evil.test", here)  # ALLOWED_HOSTS=* is not "any origin"
    assert not origins.origin_allowed("https://evil.test:8443", here)
    assert not origins.origin_allowed("null", here)
    assert not origins.origin_allowed("https://example.com:notaport", here)
    assert origins.origin_allowed("http://example.com", environ("example.com"))  # port 80 both ways
    assert origins.origin_allowed("http://example.com:80", environ("example.com"))


@override_settings(ALLOWED_HOSTS=["example.com"], REALTIME_ALLOWED_ORIGINS=None, DEBUG=False)
def test_a_host_django_would_refuse_is_no_origin_of_ours():
    """DNS rebinding: evil.test pointed at our address sends Host and Origin evil.test."""
    assert not origins.origin_allowed("http://evil.test", environ("evil.test"))
    assert origins.origin_allowed("http://example.com", environ("example.com"))


@override_settings(
    ALLOWED_HOSTS=["*"],
    REALTIME_ALLOWED_ORIGINS=None,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    REALTIME_TRUSTED_PROXIES=["127.0.0.1"],
)
def test_forwarded_scheme_counts_from_a_trusted_proxy_and_as_django_says():
    proxied = environ("example.com", remote="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert origins.origin_allowed("https://example.com", proxied)
    assert not origins.origin_allowed("http://example.com", proxied)
    spoofed = environ("example.com", remote="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
    assert not origins.origin_allowed("https://example.com", spoofed)  # not from the proxy: header dropped
    assert origins.origin_allowed("http://example.com", spoofed)
    with override_settings(SECURE_PROXY_SSL_HEADER=None):
        assert not origins.origin_allowed("https://example.com", proxied)  # Django would not believe it


@override_settings(ALLOWED_HOSTS=["*"], REALTIME_ALLOWED_ORIGINS=None, REALTIME_TRUSTED_PROXIES=["127.0.0.1"])
def test_forwarded_host_counts_only_with_use_x_forwarded_host():
    proxied = environ("127.0.0.1:9000", remote="127.0.0.1", HTTP_X_FORWARDED_HOST="chat.example.com")
    with override_settings(USE_X_FORWARDED_HOST=False):
        assert not origins.origin_allowed("http://chat.example.com", proxied)
        assert origins.origin_allowed("http://127.0.0.1:9000", proxied)
    with override_settings(USE_X_FORWARDED_HOST=True):
        assert origins.origin_allowed("http://chat.example.com", proxied)
        assert not origins.origin_allowed("http://127.0.0.1:9000", proxied)


def test_explicit_list_is_exact_and_star_is_explicit():
    here = environ("example.com")
    with override_settings(REALTIME_ALLOWED_ORIGINS=["https://app.example.com:8443", "wss://live.example.com"]):
        assert origins.origin_allowed("https://app.example.com:8443", here)
        assert origins.origin_allowed("https://live.example.com", here)
        assert not origins.origin_allowed("https://app.example.com", here)
        assert not origins.origin_allowed("http://app.example.com:8443", here)
        assert not origins.origin_allowed("http://example.com", here)  # the list replaces same-origin
    with override_settings(REALTIME_ALLOWED_ORIGINS=["*"]):
        assert origins.origin_allowed("https://anything.test:1", here)
    with override_settings(REALTIME_ALLOWED_ORIGINS=["https://example.com/path"]):
        with pytest.raises(ImproperlyConfigured, match="REALTIME_ALLOWED_ORIGINS"):
            origins.allowed_origins()


# -- live, on each transport the project serves, with ALLOWED_HOSTS=* --------------------


def foreign_origins(url):
    port = int(url.rsplit(":", 1)[1])
    return [
        f"http://127.0.0.1:{port + 1}",  # another port of the same host
        f"https://127.0.0.1:{port}",  # another scheme
        "http://evil.example",  # another site: ALLOWED_HOSTS=* allowed it before
    ]


@pytest.fixture(scope="module", params=conf.transports())
def wildcard_server(request):
    """A server of each transport the project serves, with ``ALLOWED_HOSTS=*``."""
    command, args = ("rungevent", []) if request.param == "socketio" else ("runsocket", ["--django"])
    with LiveServer(command, args=args, extra_apps=TEST_APPS, env={"ALLOWED_HOSTS": "*"}) as server:
        server.transport = request.param
        yield server


def test_other_ports_schemes_and_sites_are_refused_and_the_own_origin_connects(wildcard_server):
    if wildcard_server.transport == "socketio":
        socketio_refuses_and_accepts(wildcard_server.url)
    else:
        sockjs_refuses_and_accepts(wildcard_server.url)


def socketio_refuses_and_accepts(url):
    from realtime.testing import SocketIOTestClient

    for origin in foreign_origins(url):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(
                url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket", origin=origin, timeout=5
            )
        assert refused.value.status_code == 403, origin
        response = requests.get(url + "/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}, timeout=5)
        assert response.status_code == 403 and response.text == "origin not allowed", origin
    # the page's own origin connects, on both Engine.IO transports (the websocket client
    # sends the server's own origin by itself: one more Origin header would be two origins)
    with SocketIOTestClient(url, transports=["polling"], headers={"Origin": url}) as ours:
        assert ours.connected and ours.emit("echo", "same origin") == "same origin"
    with SocketIOTestClient(url, transports=["websocket"]) as ours:
        assert ours.connected and ours.emit("echo", "same origin") == "same origin"


def sockjs_refuses_and_accepts(url):
    from realtime.testing import SockJSTestClient

    for origin in foreign_origins(url):
        for transport in ("websocket", "xhr"):
            c = SockJSTestClient(f"{url}/sockjs", transport=transport, headers={"Origin": origin})
            assert not c.connected and c.connect_error == 403, (origin, transport)
            c.close()
        response = requests.get(f"{url}/sockjs/info", headers={"Origin": origin}, timeout=5)
        assert response.status_code == 403, origin
    for transport in ("websocket", "xhr"):
        with SockJSTestClient(f"{url}/sockjs", transport=transport, headers={"Origin": url}) as ours:
            assert ours.connected and ours.emit("echo", "same origin") == "same origin"
