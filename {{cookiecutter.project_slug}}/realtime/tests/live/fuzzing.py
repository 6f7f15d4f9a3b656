"""What the fuzz tests share: their budget, the watch over the server, strategies of bad input.

The fuzz tests (``test_socketio_fuzz.py``, ``test_sockjs_fuzz.py``) throw
generated malformed input at a LIVE server and judge the server, not the
fuzzed session: the protocols say a malformed packet may close that session.
After every :data:`BATCH` cases, :class:`ServerWatch` checks that

* the process is alive and ``GET /healthz`` answers 200;
* bystander clients, connected before the first case, still get their round
  trips (an acked echo and a broadcast between two of them);
* the server's RSS has not grown more than :data:`RSS_BOUND_MB` over what it
  was after warm-up (see there for why that figure);
* the log has no traceback and no ERROR line, and grew by at most one line
  per frame or request sent plus the test app's connect/disconnect lines:
  every rejection is one log line.

The budget: ``REALTIME_FUZZ_EXAMPLES`` cases per strategy (default 100, the
CI form); ``REALTIME_FUZZ_SEED`` replays a run (every report prints its seed).
The full run is the template's ``scripts/fuzz.sh``.
"""

import json
import os
import random
import re
import socket
import time
import urllib.request
from collections import Counter

import hypothesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st

from realtime.tests.live.fuzz_wire import CLOSED
from realtime.tests.live.probes import rss_kb

EXAMPLES = int(os.environ.get("REALTIME_FUZZ_EXAMPLES") or 100)
SEED = int(os.environ.get("REALTIME_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
#: Cases between two checks of the server.
BATCH = 25
#: The largest message the fuzzed servers accept (their REALTIME_MAX_MESSAGE_BYTES).
LIMIT = 8192
#: RSS growth allowed over a run. Measured by scripts/fuzz.sh (1,000 cases per strategy, two runs):
#: rungevent's RSS rose 9-17 MB over its first 1,000-2,000 cases (the allocator keeping what 8 KB
#: frames and attachments used), then stayed flat for the rest (a 3,000-case websocket run too);
#: runsocket's rose 7 MB. A leak of one session per case (~20 KB SockJS, ~50 KB Socket.IO) adds
#: 20-50 MB per 1,000 cases and fails the full run; CI's 100 cases only show leaks of 250 KB a case.
RSS_BOUND_MB = 24


def fuzz(test):
    """``@fuzz`` over ``@given``: the budget, no deadline (a live server), a printed seed."""
    configured = hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,  # nothing written into the project
        derandomize=False,
        # No shrinking: the server is judged every BATCH cases, so a failure shows in a later case
        # than the one that caused it; the report prints REALTIME_FUZZ_SEED and quotes the server's log.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )(test)
    return hypothesis.seed(SEED)(configured)


def rss_mb(pid):
    return rss_kb(pid) / 1024


#: The fuzzed servers run as in production (DEBUG off: Django's debug pages are no production
#: behaviour), over plain HTTP.
SERVER_ENV = {"DEBUG": "false", "SECURE_SSL_REDIRECT": "false"}

BAD_LOG = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b")


class ServerWatch:
    """The properties every fuzz test checks, over one live server and its bystanders.

    ``round_trips`` is a callable that fails (raises) unless every bystander
    still gets its messages.
    """

    def __init__(self, server, round_trips, transport):
        self.server = server
        self.round_trips = round_trips
        self.transport = transport
        self.baseline = self.peak = None
        self.log_seen = 0  # characters of the log already judged
        #: Log lines allowed but not yet written: a session's disconnect line may come a few
        #: seconds after its case (SockJS polling sessions expire), in a later batch or test.
        self.credit = 0
        self.reports = []

    def settle(self):
        """Call after warm-up: the RSS baseline and the log so far."""
        self.check(budget=None)
        self.baseline = self.peak = rss_mb(self.server.process.pid)
        self.log_seen = len(self.server.log())

    def check(self, budget=None):
        """Every property; ``budget``: log lines the cases since the last check may write (plus 10
        for the bystanders' round trips), credited over the whole run."""
        server = self.server
        where = f"(REALTIME_FUZZ_SEED={SEED})"
        assert server.process.poll() is None, f"{self.transport} server died {where}:\n{server.log()[-4000:]}"
        with urllib.request.urlopen(server.url + "/healthz", timeout=10) as response:
            assert response.status == 200, f"/healthz answered {response.status} {where}"
        self.round_trips()
        log = server.log()
        new, self.log_seen = log[self.log_seen :], len(log)  # each check judges what came since the last
        bad = BAD_LOG.search(new)
        context = new[max(0, bad.start() - 1500) : bad.start() + 3000] if bad else ""
        assert bad is None, f"the server logged {bad[0]} {where}:\n{context}"
        lines = new.splitlines()
        if budget is not None:
            self.credit += budget + 10 - len(lines)
            assert self.credit >= 0, f"{-self.credit} log lines over budget {where}:\n" + new[-6000:]
        if self.baseline is not None:
            rss = rss_mb(server.process.pid)
            self.peak = max(self.peak, rss)
            assert rss - self.baseline <= RSS_BOUND_MB, (
                f"RSS grew from {self.baseline:.1f} MB to {rss:.1f} MB (bound +{RSS_BOUND_MB} MB) {where}"
            )

    def strategy(self, name):
        return StrategyRun(self, name)

    def run(self, name, case):
        """Run the ``@fuzz`` function ``case`` as the strategy ``name``, then its last check and report."""
        run = self.strategy(name)
        case(self, run)
        run.finish()


class StrategyRun:
    """One strategy's cases: outcomes tallied, the server checked every :data:`BATCH` cases."""

    def __init__(self, watch, name):
        self.watch, self.name = watch, name
        self.outcomes = Counter()
        self.cases = self.checks = 0
        self.budget = 0
        self.started = time.monotonic()

    def case(self, outcome, sent=1, sessions=0):
        """One case done: ``sent`` frames/requests (each may log a line), ``sessions`` opened
        (each may log connect and disconnect lines of the test app)."""
        self.cases += 1
        self.outcomes[outcome] += 1
        self.budget += sent + 2 * sessions
        if self.cases % BATCH == 0:
            self._check()

    def frames(self, session, frames, sent):
        """Send ``frames`` on a raw ``session`` (it may close on any: the protocol's right); one case."""
        try:
            session.send(frames)
        except CLOSED:
            pass
        self.case(session.outcome(), sent=sent, sessions=1)

    def _check(self):
        time.sleep(0.2)  # let the server finish what the last case started (its log lines, closes)
        self.watch.check(budget=self.budget)
        self.budget = 0
        self.checks += 1

    def finish(self):
        """The last check, then one report line (printed; the full run's script collects them)."""
        self._check()
        watch = self.watch
        assert self.cases >= min(EXAMPLES, 10), f"{self.name}: only {self.cases} cases ran"
        outcomes = ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common())
        report = (
            f"FUZZ {watch.transport} {self.name}: {self.cases} cases ({outcomes}) in "
            f"{time.monotonic() - self.started:.0f}s; {self.checks} checks passed (alive, /healthz, bystanders, "
            f"no traceback); RSS {watch.baseline:.1f} MB after warm-up, peak {watch.peak:.1f} MB "
            f"(+{watch.peak - watch.baseline:.1f}, bound +{RSS_BOUND_MB}); seed {SEED}"
        )
        watch.reports.append(report)
        print(report, flush=True)
        return report


# -- strategies shared by both transports ------------------------------------------------

#: Any JSON value, small.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def deep_json(draw, max_depth=3000):
    """JSON nested ``depth`` levels (lists or objects), complete or cut short."""
    depth = draw(st.one_of(st.integers(1, 50), st.integers(200, 1100), st.integers(1100, max_depth)))
    if draw(st.booleans()):
        text = "[" * depth + "1" + "]" * depth
    else:
        text = '{"a":' * depth + "1" + "}" * depth
    if draw(st.integers(0, 4)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return text


def giant_string(limit=LIMIT):
    """A JSON string whose frame lands just under, at, or just over ``limit`` bytes."""
    return st.integers(limit - 64, limit + 64).map(lambda n: json.dumps("x" * n))


#: Text that is rarely JSON: control characters, quotes, brackets, non-ASCII.
garbage = st.text(alphabet=st.characters(codec="utf-8"), max_size=64) | st.sampled_from(
    ["", " ", "[", "]", "{", '["', '"\\', "\\u", "null", "true", "[]", "{}", '[""]', "\x00", "\ufeff[]", "1e999999"]
)
random_bytes = st.binary(max_size=256)

# -- HTTP -----------------------------------------------------------------------------------

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get", "G T"]
HEADER_NAMES = [
    "Origin",
    "Content-Type",
    "Connection",
    "Upgrade",
    "Host",
    "Cookie",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "Transfer-Encoding",
    "Accept-Encoding",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Key",
    "X-" + "A" * 200,
]
header_values = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
    st.sampled_from(["websocket", "Upgrade", "close", "chunked", "http://evil.example", "null", "13", "x" * 4000]),
)


@st.composite
def http_requests(draw, paths):
    """``(request bytes, announced-more-than-sent)``: bad methods, headers and bodies on ``paths``."""
    method = draw(st.sampled_from(METHODS) | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12))
    path = draw(st.sampled_from(paths)) + draw(st.sampled_from(["", "", "/..%2f", "?x=%ff", "?" + "q" * 3000, "/%00"]))
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9"]))
    headers = draw(st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_values), max_size=5))
    body = draw(st.binary(max_size=512) | json_values.map(lambda v: json.dumps(v).encode()))
    framing = draw(st.sampled_from(["exact", "exact", "announce-more", "announce-less", "chunked-garbage", "none"]))
    host = draw(st.sampled_from(["127.0.0.1", "127.0.0.1", "evil.example", "", "127.0.0.1:1:2", "[::1"]))
    head = [f"{method} {path} {version}", f"Host: {host}"]
    head += [f"{name}: {value}" for name, value in headers]
    announced_more = False
    if framing == "exact":
        head.append(f"Content-Length: {len(body)}")
    elif framing == "announce-more":  # a huge body announced, a little sent: refused on the headers, or waited for
        head.append(f"Content-Length: {draw(st.sampled_from([LIMIT + 2048, 10**6, 10**9, 10**15]))}")
        announced_more = True
    elif framing == "announce-less":
        head.append(f"Content-Length: {len(body) // 2}")
    elif framing == "chunked-garbage":
        head.append("Transfer-Encoding: chunked")
        body = draw(st.sampled_from([b"zz\r\n", b"fffffffffff\r\nab", b"5\r\nab\r\n0\r\n\r\n"])) + body[:16]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body
    return raw, announced_more


def send_http(port, raw, wait=2.0):
    """Send ``raw`` on a new connection; the status code as text, or what happened instead."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        try:
            conn.sendall(raw)
            answer = conn.recv(65536)
        except TimeoutError:
            return "no answer yet (waiting for the body)"
        except (ConnectionResetError, BrokenPipeError):
            return "reset"
    if not answer:
        return "closed"
    match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return match.group(1).decode() if match else "not HTTP"


def http_case_for(paths):
    """The ``@fuzz`` case of the ``HTTP requests`` strategy on ``paths`` (the same for both transports)."""

    @fuzz
    @given(request=http_requests(paths))
    def http_case(watch, run, request):
        raw, announced_more = request
        run.case(send_http(watch.server.port, raw, wait=0.5 if announced_more else 3), sent=2)

    return http_case
