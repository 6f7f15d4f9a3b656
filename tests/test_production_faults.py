"""Faults on the production stack (supervisord + HAProxy), with chat traffic flowing.

The richest project runs as ``test_production.py`` runs it (its fixtures and
chat members are reused); members chat through HAProxy while, in turn:

1. one Socket.IO and one SockJS process get SIGTERM (what ``supervisorctl
   stop``/``restart``, systemd or a deploy script send): each exits 0 within a
   few seconds, its SockJS clients get close 1012 ("restart": reconnect) and its
   Socket.IO clients lose their transport (not a Socket.IO DISCONNECT, which
   would tell them to stay away); every chat line it had read before the signal
   is answered (no line stored without its ack); supervisor starts it again,
   and its clients rejoin through HAProxy, on the other process meanwhile;
2. HAProxy reloads its configuration under traffic the documented way
   (``supervisorctl signal USR2 haproxy``: master-worker mode, the listening
   sockets handed to the new worker): a new worker serves, nothing is refused
   on the public port while it starts, websocket clients keep their tunnels
   until ``hard-stop-after`` and then reconnect.

After each, every member has every acknowledged chat line (zero lost), and
every stored one (a member that reconnects re-reads the history it missed).
``kill -9`` of socket processes stays in ``test_production.py``.
"""

import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests import test_production
from tests.test_production import (
    Chatter,
    SocketIOMember,
    SockJSMember,
    close_all,
    explain_losses,
    missing,
    run_stack,
)

pytestmark = pytest.mark.timeout(500)

MEMBERS = 24  # per transport: half websocket, half polling
UNLIMITED_ADDRESS = {"HAPROXY_MAX_CONN_PER_IP": "100000", "HAPROXY_CONN_RATE_PER_IP": "100000"}


@pytest.fixture
def stack():
    """The richest project under supervisord and HAProxy (``test_production.run_stack``), in a
    short directory (supervisor's socket path must fit AF_UNIX's 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    try:
        # Every member here comes from 127.0.0.1 and polling members open a connection per poll
        # (hundreds in a reload's seconds): HAProxy's per-address limits, which no single real
        # client reaches, are raised so they measure the fault, not the limit (that is
        # tests/test_production_abuse.py's subject).
        yield from run_stack(path, tls=False, extra_env=UNLIMITED_ADDRESS)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def connect_members(stack, prefix):
    """``MEMBERS`` members per transport (``test_production.connect_members``), all joined."""
    members = test_production.connect_members(stack, MEMBERS, MEMBERS, names=(f"{prefix}io", f"{prefix}js"))
    deadline = time.monotonic() + 60
    not_joined = [m.nickname for m in members if not m.joined.wait(max(0.1, deadline - time.monotonic()))]
    assert not not_joined, f"could not join: {not_joined}"
    return members


def chat_while(members, prefix, action, settle=3):
    """Six senders chat while ``action()`` runs; returns (chatters, action's result)."""
    chatters = [Chatter(members[i::6], f"{prefix}-{i}", interval=0.2) for i in range(6)]
    for chatter in chatters:
        chatter.thread.start()
    time.sleep(1.5)
    try:
        result = action()
        time.sleep(settle)
    finally:
        for chatter in chatters:
            chatter.stop()
    return chatters, result


def stored_ids(stack, prefix):
    """Ids of the stored chat lines whose text starts with ``prefix``."""
    out = stack.manage(
        "shell", "-c",
        "from chat.models import Message\n"
        f"print(list(Message.objects.filter(text__startswith={prefix + '-'!r}).values_list('id', flat=True)))",
    )
    return set(json.loads(out.strip().splitlines()[-1]))


def assert_nothing_lost(stack, members, chatters, prefix, label):
    acked = {i for c in chatters for i in c.acked}
    stored = stored_ids(stack, prefix)
    assert acked <= stored, f"{label}: acknowledged but not stored: {sorted(acked - stored)[:10]}"
    lost = missing(members, stored | acked, timeout=60)
    lost_count = sum(len(ids) for ids in lost.values())
    failed = sum(c.failed for c in chatters)
    print(f"\n{label}: {len(acked)} chat lines acknowledged, {failed} sends failed (no ack), "
          f"{len(stored - acked)} stored without an ack, {lost_count} deliveries lost, "
          f"{sum(1 for m in members if m.reconnects)} members reconnected")
    assert lost_count == 0, f"{label}: " + explain_losses(members, lost)
    return acked, stored


def exit_line(stack, mark, name):
    """supervisord's ``exited: <name> (exit status N; expected)`` line after ``mark``, or None."""
    process = name.split(":")[-1]
    found = re.search(rf"exited: {re.escape(process)} \(([^)]*)\)", stack.log("supervisord.log")[mark:])
    return found.group(1) if found else None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def haproxy_pids(stack):
    """The HAProxy worker processes (children of the supervised master)."""
    master = stack.status()["haproxy"][1]
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                children.append(int(entry))
    return master, sorted(children)


def public_port_refusals(port, stop, counts):
    """Open connections to the public port until ``stop``: every refusal is counted."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                answer = sock.recv(64)
            counts["ok" if answer.startswith(b"HTTP/1.") else "bad"] += 1
        except OSError:
            counts["refused"] += 1
        time.sleep(0.02)


def test_production_faults_lose_no_acknowledged_message(stack):
    stack.wait_all_up()
    members = connect_members(stack, "f")
    try:
        # -- 1. SIGTERM one Socket.IO and one SockJS process --------------------------------
        before = stack.status()
        victims = [
            f"socketio:socketio-{max(stack.socketio_ports, key=stack.connections)}",
            f"sockjs:sockjs-{max(stack.sockjs_ports, key=stack.connections)}",
        ]
        survivors = [p for p in stack.socketio_ports + stack.sockjs_ports
                     if not any(v.endswith(f"-{p}") for v in victims)]
        mark = len(stack.log("supervisord.log"))
        sockjs_sessions = {id(c) for m in members if isinstance(m, SockJSMember) for c in m.clients}
        exits = {}

        def terminate():
            signalled = time.monotonic()
            for name in victims:
                os.kill(before[name][1], signal.SIGTERM)
            for name in victims:
                pid = before[name][1]
                while pid_alive(pid) and time.monotonic() - signalled < 15:
                    time.sleep(0.05)
                exits[name] = time.monotonic() - signalled
            # while the victims are restarting, their clients are on the survivors
            return {port: stack.connections(port) for port in survivors}

        chatters, spread = chat_while(members, "term", terminate)
        stack.wait_all_up(timeout=60)
        for name in victims:
            status = exit_line(stack, mark, name)
            assert status == "exit status 0; expected", f"{name}: {status}\n{stack.logs(15)}"
            # at most: 2 s for the events in flight, 3 s for socket_disconnected receivers, 1 s to
            # close (well inside supervisor's stopwaitsecs=15, after which it would SIGKILL)
            assert exits[name] < 10, f"{name} took {exits[name]:.1f}s to exit after SIGTERM"
            assert stack.status()[name][1] != before[name][1], f"{name} was not restarted"
        # SockJS clients of the victim were told "restart" (1012), none saw its connection just drop
        closed = [c for m in members if isinstance(m, SockJSMember) for c in m.clients
                  if id(c) in sockjs_sessions and c.disconnected.is_set()]
        assert closed, "no SockJS session was closed by the SIGTERM"
        assert {c.close_code for c in closed} == {1012}, [(c.close_code, c.close_reason) for c in closed]
        # Socket.IO clients of the victim lost their transport and reconnected on their own
        dropped = [m for m in members if isinstance(m, SocketIOMember) and m.disconnect_reasons]
        assert dropped and all(m.reconnects for m in dropped), [m.disconnect_reasons for m in dropped]
        reasons = {str(r) for m in dropped for _, r in m.disconnect_reasons}
        assert not any("server disconnect" in r for r in reasons), reasons
        acked, stored = assert_nothing_lost(stack, members, chatters, "term", "SIGTERM")
        # in-flight acks answered: every line the dying processes stored was acknowledged
        assert stored == acked, f"stored without an ack: {sorted(stored - acked)}"
        print(f"SIGTERM: exits after {', '.join(f'{n} {s:.1f}s' for n, s in exits.items())}; "
              f"clients on the survivors meanwhile: {spread}; "
              f"{len(closed)} SockJS sessions closed with 1012, {len(dropped)} Socket.IO clients reconnected")

        # -- 2. HAProxy reload under traffic -------------------------------------------------
        master, old_workers = haproxy_pids(stack)
        counts = {"ok": 0, "bad": 0, "refused": 0}
        stop_probe = threading.Event()
        probe = threading.Thread(target=public_port_refusals, args=(stack.public, stop_probe, counts), daemon=True)
        probe.start()
        tunnels = [m for m in members if m.transport == "websocket"]
        reconnects_before = {m.nickname: m.reconnects for m in members}

        def reload():
            stack.ctl("signal", "USR2", "haproxy")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                now_master, workers = haproxy_pids(stack)
                if now_master == master and set(workers) - set(old_workers):
                    return workers
                time.sleep(0.1)
            raise AssertionError(f"no new HAProxy worker after the reload: {old_workers}\n{stack.logs(15)}")

        chatters, workers = chat_while(members, "reload", reload, settle=14)  # past hard-stop-after (10s)
        stop_probe.set()
        probe.join(10)
        assert stack.status()["haproxy"] == ("RUNNING", master), stack.status()
        assert not set(old_workers) & set(haproxy_pids(stack)[1]), "the old worker outlived hard-stop-after"
        stack.wait_all_up(timeout=30)
        assert counts["refused"] == 0 and counts["bad"] == 0 and counts["ok"] > 20, counts
        reconnected = [m.nickname for m in tunnels if m.reconnects > reconnects_before[m.nickname]]
        acked, stored = assert_nothing_lost(stack, members, chatters, "reload", "HAProxy reload")
        print(f"HAProxy reload: worker {old_workers} -> {workers}; public port probed {counts['ok']} times, "
              f"0 refused; {len(reconnected)} of {len(tunnels)} websocket members reconnected after hard-stop-after")
        failed = sum(c.failed for c in chatters)
        assert failed <= len(tunnels), f"{failed} sends failed: {[e for c in chatters for e in c.errors][:5]}"
        assert all(m.joined.wait(30) for m in members), [m.nickname for m in members if not m.joined.is_set()]
    finally:
        close_all(members)
