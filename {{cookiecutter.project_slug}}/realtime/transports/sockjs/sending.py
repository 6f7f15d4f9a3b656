"""The send POSTs (``xhr_send``, ``jsonp_send``): a size limit, backpressure, strings only.

A polling client's messages arrive as POST bodies; before sockjs-tornado
takes them, these mixins refuse a body too large for a message (413), wait
while the session's receivers are behind (:func:`.messages.room`) and drop
what is not a string (:func:`.messages.only_strings`).
"""

import json
import logging

from realtime import stats
from realtime.transports.sockjs import legacy
from realtime.transports.sockjs.gate import body_limit
from realtime.transports.sockjs.hardened import HardenedMixin
from realtime.transports.sockjs.messages import only_strings, room
from realtime.transports.sockjs.tornado_compat import KeepContentTypeOn204

logger = logging.getLogger("realtime")


def _over_limit(handler):
    """True (after answering 413) when a posted body is over what a message may take framed.

    :class:`~.gate.RequestGate` refuses these on their headers already; this
    covers an ``Application`` served without the gate.
    """
    if len(handler.request.body) <= body_limit(handler.request.path):
        return False
    stats.counters.dropped += 1
    logger.warning(
        "%s body of %d bytes over the limit from %s",
        handler.request.path.rsplit("/", 1)[-1],
        len(handler.request.body),
        handler.request.remote_ip,
    )
    handler.preflight()
    handler.set_status(413)
    handler.finish("message too large\n")
    return True


async def _wait_for_room(handler, session_id):
    """Before a send POST's messages are taken: wait while the session's receivers are behind.

    The POST stays unanswered meanwhile, and a SockJS client sends the next
    one only after this one's answer: TCP-like backpressure over polling.
    """
    session = handler.server.get_session(session_id)
    waiting = room(session) if session is not None else None
    if waiting is not None:
        await waiting


class SendMixin(KeepContentTypeOn204, HardenedMixin):
    async def post(self, session_id):
        if _over_limit(self):
            return
        await _wait_for_room(self, session_id)
        try:
            decoded = json.loads(self.request.body)
        except (ValueError, RecursionError):
            return super().post(session_id)  # sockjs-tornado answers 500 "Broken JSON encoding."
        messages = only_strings(decoded, self.request.remote_ip)
        if messages is not decoded:
            self.request.body = json.dumps(messages).encode()
        return super().post(session_id)


class JsonpSendMixin(legacy.JsonpSendMixin, HardenedMixin):
    async def post(self, session_id):
        if _over_limit(self):
            return
        await _wait_for_room(self, session_id)
        return super().post(session_id)
