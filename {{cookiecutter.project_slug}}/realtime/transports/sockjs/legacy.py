"""The old-browser pieces of SockJS, served the safe way the protocol defines.

sockjs-tornado 1.0.7 echoes the ``c`` callback of ``jsonp`` and ``htmlfile``
into a script unvalidated (and strips ``_`` and ``.`` from the htmlfile one,
which breaks sockjs-client's ``_jp.a123`` names), writes a message into an
HTML ``<script>`` without escaping ``</script>``, reads ``jsonp_send`` form
bodies only under one exact Content-Type, and serves the sockjs-client 0.3
iframe page from a CDN. These mixins replace those methods:

* the callback must match ``^[a-zA-Z0-9_.]+$``; otherwise 500
  ``invalid "callback" parameter`` (missing: ``"callback" parameter
  required``), never echoed back;
* every JSONP response starts with ``/**/`` (a response cannot then be read
  as another content type's prologue), and ``<``, ``>``, ``&`` in messages
  are written as JSON escapes, so no message can close the ``<script>``;
* ``jsonp_send`` takes ``d=`` form bodies and raw bodies; errors are the
  protocol's 500s ``Payload expected.`` and ``Broken JSON encoding.``;
* the iframe page is sockjs-client 1.x's (``SockJS.bootstrap_iframe()``),
  loading our vendored client, with an ETag, a year of caching and 304 on
  ``If-None-Match``; it may only be framed by its own origin
  (``frame-ancestors 'self'``, ``X-Frame-Options``), since it drives
  sessions through ``postMessage``.

Turn ``jsonp`` and ``htmlfile`` off per endpoint with
``REALTIME_SOCKJS_OPTIONS = {url or "*": {"disabled_transports": ["jsonp", "htmlfile"]}}``.
"""

import hashlib
import html
import json
import logging
import re

from sockjs.tornado.transports.htmlfile import HTMLFILE_HEAD
from sockjs.tornado.util import asynchronous

from realtime import stats
from realtime.transports.sockjs.messages import only_strings

logger = logging.getLogger("realtime")

CALLBACK = re.compile(r"[a-zA-Z0-9_.]+")  # the protocol's ^[a-zA-Z0-9_.]+$, used with fullmatch

IFRAME_PAGE = """<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <script src="%s"></script>
  <script>
    document.domain = document.domain;
    SockJS.bootstrap_iframe();
  </script>
</head>
<body>
  <h2>Don't panic!</h2>
  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>
</body>
</html>"""


def script_json(text):
    """``text`` as a JSON string literal that is also inert inside an HTML ``<script>``."""
    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _plain_error(handler, status, text):
    handler.clear_header("Content-Type")
    handler.set_header("Content-Type", "text/plain; charset=UTF-8")
    handler.set_status(status)
    handler.finish(text)


def valid_callback(handler):
    """The request's ``c`` parameter, or None after answering the protocol's 500."""
    callback = handler.get_argument("c", None, strip=False)
    if not callback:
        _plain_error(handler, 500, '"callback" parameter required')
        return None
    if not CALLBACK.fullmatch(callback):
        stats.counters.dropped += 1  # tornado's access log has the one line (a 500 and the URL)
        _plain_error(handler, 500, 'invalid "callback" parameter')
        return None
    return callback


class JsonpMixin:
    """``GET .../jsonp?c=callback``: one frame per response, as ``/**/callback("frame");``."""

    def get(self, session_id):
        self.callback = valid_callback(self)
        if self.callback is not None:
            return super().get(session_id)
        return None

    def send_pack(self, message, binary=False):
        self.active = False
        body = "/**/%s(%s);\r\n" % (self.callback, script_json(message))
        try:
            self.set_header("Content-Type", "application/javascript; charset=UTF-8")
            self.set_header("Content-Length", len(body.encode("utf-8")))
            self.write(body)
            self.flush().add_done_callback(self.send_complete)
        except OSError:
            self.session.delayed_close()


class JsonpSendMixin:
    """``POST .../jsonp_send``: a ``d=<JSON array>`` form, or the raw JSON array."""

    def post(self, session_id):
        self.preflight()
        self.handle_session_cookie()
        self.disable_cache()
        session = self._get_session(session_id)
        if session is None or session.is_closed:
            self.set_status(404)
            self.finish()
            return
        content_type = self.request.headers.get("Content-Type", "").lower()
        if content_type.startswith("application/x-www-form-urlencoded"):
            data = self.get_body_argument("d", "")
        else:
            data = self.request.body.decode("utf-8", "replace")
        if not data:
            _plain_error(self, 500, "Payload expected.")
            return
        try:
            messages = json.loads(data)
        except (ValueError, RecursionError):
            messages = None
        if not isinstance(messages, list):
            stats.counters.dropped += 1  # tornado's access log has the one line
            _plain_error(self, 500, "Broken JSON encoding.")
            return
        try:
            session.on_messages(only_strings(messages, self.request.remote_ip))
        except Exception:
            logger.exception("jsonp_send: the connection's on_message failed; closing the session")
            session.close()
            _plain_error(self, 500, "Message handler failed.")
            return
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish("ok")


class HtmlFileMixin:
    """``GET .../htmlfile?c=callback``: a streaming HTML page of ``<script>p("frame");</script>``."""

    @asynchronous
    def get(self, session_id):
        self.preflight()
        self.handle_session_cookie()
        self.disable_cache()
        callback = valid_callback(self)
        if callback is None:
            return
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.write(HTMLFILE_HEAD % callback)
        self.flush()
        if not self._attach_session(session_id):
            self.finish()
            return
        if self.session:
            self.session.flush()

    def send_pack(self, message, binary=False):
        body = "<script>\np(%s);\n</script>\r\n" % script_json(message)
        self.active = False
        try:
            self.notify_sent(len(body))
            self.write(body)
            self.flush().add_done_callback(self.send_complete)
        except OSError:
            self.session.delayed_close()
            self._detach()


class IFrameMixin:
    """``GET .../iframe*.html``: sockjs-client 1.x's iframe page, strongly cached."""

    def get(self):
        body = (IFRAME_PAGE % html.escape(self.server.settings["sockjs_url"], quote=True)).encode("utf-8")
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:32]
        self.set_header("Content-Security-Policy", "frame-ancestors 'self'")
        self.set_header("X-Frame-Options", "SAMEORIGIN")
        self.enable_cache()
        self.set_header("ETag", etag)
        asked = self.request.headers.get("If-None-Match", "")
        if asked.strip() == "*" or etag in [tag.strip().removeprefix("W/") for tag in asked.split(",")]:
            self.set_status(304)  # tornado drops Content-Type and the body
            return
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.write(body)
