"""Behind a proxy: forwarded headers believed only from REALTIME_TRUSTED_PROXIES; /healthz for any Host."""

import json

from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from realtime.middleware import ForwardedMiddleware, HealthCheckMiddleware, apply_forwarded
from realtime.requests import request_from_environ

FORWARDED = {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "HTTP_X_FORWARDED_PROTO": "https"}


def seen(request):
    return HttpResponse(json.dumps([request.META["REMOTE_ADDR"], request.is_secure()]))


def through(remote_addr, **headers):
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)
    return json.loads(ForwardedMiddleware(seen)(request).content)


@override_settings(REALTIME_TRUSTED_PROXIES=["127.0.0.1"], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_the_proxy_is_believed():
    assert through("127.0.0.1", **FORWARDED) == ["203.0.113.7", True]


@override_settings(REALTIME_TRUSTED_PROXIES=["127.0.0.1"], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_anyone_else_is_not():
    # a client reaching a process directly cannot claim HTTPS or another address
    assert through("198.51.100.9", **FORWARDED) == ["198.51.100.9", False]


@override_settings(REALTIME_TRUSTED_PROXIES=["10.0.0.0/8", "127.0.0.1"])
def test_the_client_is_the_rightmost_untrusted_address():
    # the client's own X-Forwarded-For entries (left) are claims; proxies append what they saw
    chain = "6.6.6.6, 203.0.113.7, 10.1.2.3"
    assert through("127.0.0.1", HTTP_X_FORWARDED_FOR=chain)[0] == "203.0.113.7"


@override_settings(REALTIME_TRUSTED_PROXIES=["not-an-address", "127.0.0.1"])
def test_a_bad_entry_is_ignored_with_a_log_line(caplog):
    assert through("127.0.0.1", **FORWARDED)[0] == "203.0.113.7"
    assert "not-an-address" in caplog.text


@override_settings(REALTIME_TRUSTED_PROXIES=[])
def test_no_trusted_proxy_means_headers_are_dropped():
    meta = apply_forwarded({"REMOTE_ADDR": "127.0.0.1", **FORWARDED})
    assert meta == {"REMOTE_ADDR": "127.0.0.1"}


@override_settings(REALTIME_TRUSTED_PROXIES=["127.0.0.1"])
def test_socket_handshakes_follow_the_same_rule(db):
    trusted = request_from_environ({"REMOTE_ADDR": "127.0.0.1", **FORWARDED})
    direct = request_from_environ({"REMOTE_ADDR": "198.51.100.9", **FORWARDED})
    assert trusted.META["REMOTE_ADDR"] == "203.0.113.7"
    assert direct.META["REMOTE_ADDR"] == "198.51.100.9" and "HTTP_X_FORWARDED_PROTO" not in direct.META


@override_settings(ALLOWED_HOSTS=["example.com"], SECURE_SSL_REDIRECT=True)
def test_healthz_answers_whatever_the_host(client):
    # HAProxy checks 127.0.0.1:<port> directly, over HTTP, with a Host that is not the site's
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:9100")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert client.get("/", HTTP_HOST="127.0.0.1:9100").status_code == 400  # everything else still checks


def test_healthz_middleware_passes_other_paths():
    request = RequestFactory().get("/healthz/more")
    assert HealthCheckMiddleware(lambda r: HttpResponse("next"))(request).content == b"next"
