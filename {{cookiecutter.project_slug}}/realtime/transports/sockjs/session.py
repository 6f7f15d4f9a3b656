"""The SockJS session of every endpoint: close frames that are right on every transport.

sockjs-tornado 1.0.7's ``Session`` has two close defects, fixed here in a
subclass the routers use (``SockJSRouter(session_kls=...)``), so plain
``SockJSConnection`` classes get the fix too:

* its close frame is ``'c[%d,"%s"]' % (code, reason)``: a reason with a
  quote or a backslash breaks the frame. Here the frame is JSON-encoded, so
  ``"Go away!"`` or any other reason arrives exactly as given;
* closing while a polling response (xhr, jsonp) already carries a frame,
  typically ``close()`` inside ``on_open`` right after the ``o`` frame, wrote
  a second body into that response (``HTTPOutputError``, and the next poll
  hung). A polling response carries one frame: the close frame now waits for
  the next poll, which answers it at once (and every poll after it, until the
  session expires), as the protocol says.
"""

import json
import weakref

from sockjs.tornado.session import CLOSED, CLOSING, BaseSession, Session
from sockjs.tornado.transports.streamingbase import StreamingTransportBase
from sockjs.tornado.transports.pollingbase import PollingTransportBase


def close_frame(code, reason):
    """``c[code,"reason"]`` with the reason JSON-escaped (never stripped)."""
    return "c" + json.dumps([int(code), str(reason)], separators=(",", ":"))


def _one_frame_per_response(handler):
    return isinstance(handler, PollingTransportBase) and not isinstance(handler, StreamingTransportBase)


#: Every session of this process, whatever its endpoint or state: a shutdown closes
#: each with 1012, including sessions whose socket is still connecting (not yet in
#: ``connected_sockets``), which would otherwise see their connection just drop.
sessions = weakref.WeakSet()


class RealtimeSession(Session):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sessions.add(self)

    def close(self, code=3000, message="Go away!"):
        if self.state == CLOSED:
            return
        handler = self.handler
        if handler is not None and not (_one_frame_per_response(handler) and not handler.active):
            handler.send_pack(close_frame(code, message))
        # else: the response in flight already holds a frame; the next poll gets the close frame
        BaseSession.close(self, code, message)

    def set_handler(self, handler, start_heartbeat=True):
        if (
            self.handler is None
            and self.state in (CLOSING, CLOSED)
            and not self.send_queue
            and self._same_client(handler)
        ):
            handler.send_pack(close_frame(*self.get_close_reason()))
            return False
        return super().set_handler(handler, start_heartbeat)

    def _same_client(self, handler):
        return not self._verify_ip or self.conn_info is None or handler.request.remote_ip == self.conn_info.ip
