"""``runsocket``'s old-browser transports (SockJS 0.3.3): jsonp and htmlfile, safely, and the iframe page.

Raw requests (see ``sockjs_wire``) on ``/sockjs``, ``/simple`` and ``/plain``.
"""

import json
import re
import uuid
from urllib.parse import urlencode

import pytest


from realtime.tests.live import sockjs_wire
from realtime.tests.live.sockjs_wire import (
    ENDPOINTS,
    FORM,
    NO_CACHE,
    Raw,
    first_message,
    poll_until,
    request,
    session_path,
)

#: Fixtures of ``sockjs_wire``: the server's log from now on, and a server that allows any origin.
new_log = sockjs_wire.new_log
open_server = sockjs_wire.open_server


# -- 1. jsonp and htmlfile, safely --------------------------------------------------------
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_jsonp_polling_round_trip_with_form_and_raw_bodies(sockjs_server, endpoint):
    path, _ = session_path(endpoint)
    status, headers, body = request(sockjs_server, "GET", path + "/jsonp?c=_jp.a1")
    assert (status, body) == (200, '/**/_jp.a1("o");\r\n')
    assert headers["Content-Type"] == "application/javascript; charset=UTF-8"
    assert headers["Cache-Control"] == NO_CACHE
    message, answer = first_message(endpoint)
    form = urlencode({"d": json.dumps([message])})
    status, headers, body = request(sockjs_server, "POST", path + "/jsonp_send", form, FORM)
    assert (status, body, headers["Content-Type"]) == (200, "ok", "text/plain; charset=UTF-8")
    assert headers["Cache-Control"] == NO_CACHE
    frames = poll_until(lambda: request(sockjs_server, "GET", path + "/jsonp?c=cb")[2], answer)
    assert all(f.startswith("/**/cb(") and f.endswith(");\r\n") for f in frames)
    raw = json.dumps([message])  # a raw body, any other content type
    status, _, body = request(sockjs_server, "POST", path + "/jsonp_send", raw, {"Content-Type": "text/plain"})
    assert (status, body) == (200, "ok")
    poll_until(lambda: request(sockjs_server, "GET", path + "/jsonp?c=cb")[2], answer)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_jsonp_and_htmlfile_refuse_bad_callbacks_and_bodies(sockjs_server, endpoint, new_log):
    for transport in ("jsonp", "htmlfile"):
        status, _, body = request(sockjs_server, "GET", f"{endpoint}/a/a/{transport}")
        assert (status, body) == (500, '"callback" parameter required')
        for callback in ("%20", "*", "abc(", "abc%28", "alert(1)//", "a%0Ab", "abc%0A", "%C3%A9"):
            status, _, body = request(sockjs_server, "GET", f"{endpoint}/a/a/{transport}?c={callback}")
            assert (status, body) == (500, 'invalid "callback" parameter'), callback
    path, _ = session_path(endpoint)
    assert request(sockjs_server, "GET", path + "/jsonp?c=x")[2] == '/**/x("o");\r\n'
    for data in ("", "d=", "p=p"):
        assert request(sockjs_server, "POST", path + "/jsonp_send", data, FORM)[::2] == (500, "Payload expected.")
    for data in ("d=%5B%22x", "d=%7B%7D", "d=" + "%5B" * 2500):
        assert request(sockjs_server, "POST", path + "/jsonp_send", data, FORM)[::2] == (500, "Broken JSON encoding.")
    assert request(sockjs_server, "POST", path + "/jsonp_send", "[1", {"Content-Type": "text/plain"})[0] == 500
    assert request(sockjs_server, "POST", f"{endpoint}/000/nosuchsession/jsonp_send", "d=%5B%5D", FORM)[0] == 404
    assert "Traceback" not in new_log()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_htmlfile_streams_inert_script_frames(sockjs_server, endpoint):
    path, _ = session_path(endpoint)
    stream = Raw(sockjs_server, "GET", path + "/htmlfile?c=_jp.a1b2")
    assert stream.status == 200 and stream.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert stream.headers["Cache-Control"] == NO_CACHE
    head = stream.read()
    assert "var c = parent._jp.a1b2;" in head and len(head) > 1024
    assert stream.read() == '<script>\np("o");\n</script>\r\n'
    message, answer = first_message(endpoint)
    assert request(sockjs_server, "POST", path + "/xhr_send", json.dumps([message]))[0] == 204
    poll_until(stream.read, answer)
    if endpoint == "/plain":  # the echo sends back what we send: try to break out of the <script>
        evil = "</script><script>alert(1)</script>&"
        request(sockjs_server, "POST", path + "/xhr_send", json.dumps([evil]))
        frame = poll_until(stream.read, "alert")[-1]
        assert "</script><script>" not in frame and "\\u003c/script\\u003e" in frame
        assert json.loads(frame[len("<script>\np(") : -len(");\n</script>\r\n")]) == 'a["echo:' + evil + '"]'
    stream.close()


def test_jsonp_and_htmlfile_can_be_turned_off_per_endpoint(open_server):
    for transport in ("jsonp?c=x", "htmlfile?c=x", "jsonp_send"):
        method, body = ("POST", "d=[]") if transport == "jsonp_send" else ("GET", None)
        assert request(open_server, method, f"/simple/000/s{uuid.uuid4().hex}/{transport}", body, FORM)[0] == 404
    assert request(open_server, "GET", f"/sockjs/000/{uuid.uuid4().hex}/jsonp?c=x")[2] == '/**/x("o");\r\n'


# -- 2. the iframe page --------------------------------------------------------------------
IFRAME = re.compile(
    r"""^<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <script src="(?P<sockjs_url>[^"]*)"></script>
  <script>
    document.domain = document.domain;
    SockJS.bootstrap_iframe\(\);
  </script>
</head>
<body>
  <h2>Don't panic!</h2>
  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>
</body>
</html>$"""
)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_iframe_page_is_sockjs_client_1x_cached_and_not_frameable_cross_site(sockjs_server, endpoint):
    etags = set()
    for page in ("/iframe.html", "/iframe-1.6.1.html", "/iframe-a.html?t=1234"):
        status, headers, body = request(sockjs_server, "GET", endpoint + page)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=UTF-8"
        match = IFRAME.match(body.strip())
        assert match and match["sockjs_url"] == "/static/realtime/sockjs.min.js"  # ours, not a CDN
        assert "public" in headers["Cache-Control"] and "max-age=31536000" in headers["Cache-Control"]
        assert headers["Expires"] and not headers["Last-Modified"] and not headers["Set-Cookie"]
        assert headers["Content-Security-Policy"] == "frame-ancestors 'self'"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        etags.add(headers["ETag"])
    (etag,) = etags
    status, headers, body = request(sockjs_server, "GET", endpoint + "/iframe.html", headers={"If-None-Match": etag})
    assert (status, body, headers["Content-Type"]) == (304, "", None)
    assert request(sockjs_server, "GET", endpoint + "/iframe.html", headers={"If-None-Match": '"x"'})[0] == 200
    for bad in ("/iframe.htm", "/IFRAME.HTML", "/iframe-/.html"):
        assert request(sockjs_server, "GET", endpoint + bad)[0] == 404
