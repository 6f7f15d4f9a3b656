"""Abuse limits of the production stack, attacked through the real HAProxy (issue 16 points 1 and 7, issue 13 point 4).

The richest project runs under supervisord behind HAProxy exactly as in
``test_production.py`` (its ``run_stack``, over plain HTTP, with the
defaults of ``deploy/run`` and ``deploy/haproxy.cfg``). Then:

1. one address opens 600 websockets as fast as it can: HAProxy cuts it off
   at ``HAPROXY_MAX_CONN_PER_IP``/``HAPROXY_CONN_RATE_PER_IP`` (300 each),
   with 429s or closed connections (a burst that arrives at once is refused
   whole: its rate is over the limit when the first request is read), while
   another address loads pages and opens 20 websockets;
2. twelve clients announce 100 KB bodies for ``POST /chat/``, send 70 KB at
   once (more than HAProxy's buffer used to hold) and trickle the rest:
   HAProxy answers 413 at once, gunicorn never sees them, pages stay fast
   and no worker times out. (Before, a body larger than the 16 KB buffer
   went on half-read and pinned a sync worker until gunicorn's timeout.)

Each attack is bounded (600 sockets, 12 x 70 KB) and runs from its own
loopback address (127.0.0.x), so the limits it trips do not touch the
addresses the checks use.
"""

import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.production_attacks import SlowBodySender, timed_get
from tests.test_production import run_stack

pytestmark = pytest.mark.timeout(400)

FLOOD, FLOOD_SOURCE, OTHER_SOURCE, SLOW_SOURCE = 600, "127.0.0.9", "127.0.0.10", "127.0.0.11"
PER_IP = 300  # deploy/haproxy.cfg's defaults (presetenv)


@pytest.fixture
def abuse_stack():
    short = Path(tempfile.mkdtemp(prefix="rta-", dir="/tmp"))  # supervisor's socket path must stay short
    try:
        yield from run_stack(short, tls=False)
    finally:
        shutil.rmtree(short, ignore_errors=True)


async def _open_websocket(port, origin, source):
    """The status line HAProxy (or the server) answered a websocket upgrade with, or "closed"."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    except OSError:
        return "refused", None
    try:
        writer.write(
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Origin: {origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 20)
    except (OSError, asyncio.TimeoutError):
        line = b""
    status = line.decode(errors="replace").strip() or "closed"
    return status, writer


async def _flood(port, origin, count, source):
    started = time.monotonic()
    results = await asyncio.gather(*(_open_websocket(port, origin, source) for _ in range(count)))
    elapsed = time.monotonic() - started
    for _, writer in results:
        if writer is not None:
            writer.close()
    return [status for status, _ in results], elapsed


def page_from(source, url):
    """GET ``url`` from the local address ``source``: (status, seconds)."""
    session = requests.Session()
    session.mount("http://", _SourceAdapter(source))
    return timed_get(session, url)


class _SourceAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, source):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def test_haproxy_cuts_off_floods_and_oversized_bodies(abuse_stack):
    stack = abuse_stack
    stack.wait_all_up()

    # 1. 600 websockets from one address, as fast as asyncio can open them
    statuses, elapsed = asyncio.run(_flood(stack.public, stack.url, FLOOD, FLOOD_SOURCE))
    upgraded = sum(s.startswith("HTTP/1.1 101") for s in statuses)
    limited = sum(s.startswith("HTTP/1.1 429") for s in statuses)
    closed = sum(s in ("closed", "refused") for s in statuses)
    print(f"\n{FLOOD} websockets from one address in {elapsed:.2f}s: {upgraded} upgraded, "
          f"{limited} answered 429, {closed} closed")
    assert upgraded <= PER_IP, statuses[:20]
    assert upgraded + limited + closed == FLOOD, sorted(set(statuses))
    assert limited + closed >= FLOOD - PER_IP
    # ... while it lasts, the same address is still refused, and another one is served
    assert page_from(FLOOD_SOURCE, stack.url + "/chat/")[0] in (429, "ConnectionError"), "the flooder got through"
    status, seconds = page_from(OTHER_SOURCE, stack.url + "/chat/")
    assert status == 200 and seconds < 5, (status, seconds)
    # ... and a page's worth of websockets from that other address all open
    statuses, _ = asyncio.run(_flood(stack.public, stack.url, 20, OTHER_SOURCE))
    assert all(s.startswith("HTTP/1.1 101") for s in statuses), statuses

    # 2. bodies larger than HAProxy's buffer, trickled after the first 70 KB: 413 at once
    web_log_mark = len(stack.log("web.log"))
    senders = [
        SlowBodySender("127.0.0.1", stack.public, "/chat/", length=100_000, interval=1.0, limit=20, head=70_000,
                       source=SLOW_SOURCE).start()
        for _ in range(12)
    ]
    probes = []
    for _ in range(6):
        probes.append(timed_get(requests.Session(), stack.url + "/chat/"))
        time.sleep(0.5)
    for sender in senders:
        sender.thread.join(30)
    outcomes = sorted({s.outcome for s in senders})
    print(f"oversized trickled bodies: {outcomes} after at most {max(s.ended_after for s in senders):.1f}s; "
          f"GET /chat/ meanwhile took at most {max(p[1] for p in probes):.2f}s")
    assert all(s.outcome.startswith("HTTP/1.1 413") for s in senders), outcomes
    assert max(s.ended_after for s in senders) < 5, [s.ended_after for s in senders]
    assert all(status == 200 and seconds < 5 for status, seconds in probes), probes
    web_log = stack.log("web.log")[web_log_mark:]
    assert "POST /chat/" not in web_log and "WORKER TIMEOUT" not in web_log, web_log[-2000:]
    # a body that fits is still passed on (Django answers it: 403 here, no CSRF token)
    small = requests.post(stack.url + "/chat/", data={"name": "x" * 20_000}, timeout=10)
    assert small.status_code == 403, small.status_code
    assert "POST /chat/" in stack.log("web.log")[web_log_mark:]
