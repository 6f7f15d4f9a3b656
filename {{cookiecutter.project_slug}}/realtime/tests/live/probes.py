"""What the limit, fuzz and shutdown tests read off (or do to) a live server: memory, health, log, SIGTERM.

Shared by both transports' tests, so it lives outside any ``test_<transport>_*`` file
(the bake prunes those with their transport).
"""

import os
import signal
import threading
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


def sigterm_during_naps(server, clients):
    """Each of ``clients`` (name -> test client) emits ``nap`` 1 s; SIGTERM the server while all sleep.

    The shutdown tests' shared act: an event in a receiver when the server is
    told to stop. Returns ``(answers, seconds from SIGTERM to the acks)``; the
    caller judges both and how its transport then closed.
    """
    answers = {}

    def nap(name, client):
        answers[name] = client.emit("nap", 1.0, timeout=10)

    threads = [threading.Thread(target=nap, args=item) for item in clients.items()]
    for thread in threads:
        thread.start()
    time.sleep(0.4)  # both receivers are asleep now
    started = time.monotonic()
    os.killpg(server.process.pid, signal.SIGTERM)
    for thread in threads:
        thread.join(10)
    return answers, started
