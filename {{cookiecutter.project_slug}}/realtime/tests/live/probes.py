"""What the limit and fuzz tests read off a live server: its memory, its health, its log.

Shared by both transports' tests, so it lives outside any ``test_<transport>_*`` file
(the bake prunes those with their transport).
"""

import time
import urllib.request


def rss_kb(pid):
    """The process's resident memory in KB, from ``/proc`` (what the kernel charges it)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")


def healthz_seconds(server):
    """How long ``/healthz`` took to answer 200: a stalled process shows here first."""
    started = time.monotonic()
    with urllib.request.urlopen(server.url + "/healthz", timeout=10) as response:
        assert response.status == 200
    return time.monotonic() - started


def wait_for_log(server, text, timeout=5):
    """The server's log once ``text`` is in it (or after ``timeout``, for the caller to assert)."""
    deadline = time.monotonic() + timeout
    while text not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.log()
