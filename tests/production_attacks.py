"""The attacks of the security issue, and what the production test needs to run them over TLS.

Each function performs one attack (bounded in size and time) against the
running stack of ``test_production.py`` and returns what it saw, so the test
states the expectation. Nothing here is mocked: raw sockets, TLS, websockets.
"""

import http.client
import json
import socket
import ssl
import subprocess
import threading
import time
import uuid

import requests
import websocket


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 and localhost; returns the PEM (chain + key) HAProxy loads.

    The same file is the CA file the test's clients verify against.
    """
    key, cert = directory / "test.key", directory / "test.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )
    pem = directory / "site.pem"
    pem.write_text(cert.read_text() + key.read_text())
    pem.chmod(0o600)
    return pem


# -- High 1: slow request bodies ---------------------------------------------------------
class SlowBodySender:
    """One client announcing a large POST body, then sending it one byte every ``interval`` seconds.

    ``outcome`` ends as the status line HAProxy answered (e.g. ``HTTP/1.1 408 ...``),
    ``"closed"`` (the connection was cut without an answer), or ``"still open"``.
    """

    def __init__(self, host, port, path, context=None, length=100_000, interval=3.0, limit=30.0, head=0, source=None):
        self.host, self.port, self.path, self.context = host, port, path, context
        self.length, self.interval, self.limit = length, interval, limit
        self.head = head  # bytes of the body sent at once, before the trickle
        self.source = source  # the local address to send from (127.0.0.x plays another client)
        self.outcome, self.sent, self.ended_after = "still open", 0, None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _run(self):
        started = time.monotonic()
        sock = socket.create_connection((self.host, self.port), timeout=10,
                                        source_address=(self.source, 0) if self.source else None)
        if self.context is not None:
            sock = self.context.wrap_socket(sock, server_hostname=self.host)
        try:
            # A same-site Origin and a well-formed CSRF cookie get past Django's CSRF checks up
            # to the one that reads the body (the form's token): that read is what pins a worker.
            origin = f"{'https' if self.context else 'http'}://{self.host}:{self.port}"
            sock.sendall(
                f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nOrigin: {origin}\r\n"
                f"Referer: {origin}{self.path}\r\nCookie: csrftoken={uuid.uuid4().hex}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {self.length}\r\n\r\n".encode()
                + b"a" * self.head
            )
            sock.settimeout(self.interval)
            while time.monotonic() - started < self.limit:
                try:
                    answer = sock.recv(4096)
                except TimeoutError:
                    try:
                        sock.sendall(b"a")
                        self.sent += 1
                    except OSError:
                        self.outcome = "closed"
                        break
                    continue
                except OSError:
                    self.outcome = "closed"
                    break
                self.outcome = answer.split(b"\r\n", 1)[0].decode(errors="replace") if answer else "closed"
                break
        finally:
            self.ended_after = time.monotonic() - started
            sock.close()


def slow_body_attack(host, port, probe, context=None, connections=12, interval=3.0, watch=16.0):
    """Run ``connections`` slow senders against POST /chat/ while calling ``probe()`` every 0.5 s.

    Returns ``(senders, probes)``: each probe's result is whatever ``probe`` returned.
    """
    senders = [SlowBodySender(host, port, "/chat/", context, interval=interval).start() for _ in range(connections)]
    time.sleep(1)  # every sender has announced its body
    probes, deadline = [], time.monotonic() + watch
    while time.monotonic() < deadline:
        probes.append(probe())
        time.sleep(0.5)
    for sender in senders:
        sender.thread.join(sender.limit + 15)
    return senders, probes


def timed_get(session, url, **kwargs):
    """``(status or exception name, seconds)`` of one GET."""
    started = time.monotonic()
    try:
        status = session.get(url, timeout=10, **kwargs).status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    return status, time.monotonic() - started


# -- a SockJS client over wss:// ---------------------------------------------------------------
class WssSockJS:
    """A minimal SockJS websocket session speaking the core endpoint's framing, over TLS.

    (The project's ``SockJSTestClient`` speaks plain HTTP only.) ``events`` collects
    every server event; ``call`` emits with an ack id and returns the ack's value.
    """

    def __init__(self, base_url, ca_file, origin, prefix="/sockjs", timeout=15):
        self.session = uuid.uuid4().hex[:12]
        url = f"{base_url.replace('https:', 'wss:')}{prefix}/000/{self.session}/websocket"
        self.ws = websocket.create_connection(url, origin=origin, timeout=timeout, sslopt={"ca_certs": str(ca_file)})
        self.timeout, self.events, self.acks, self.ids = timeout, [], {}, 0
        if self.ws.recv() != "o":
            raise ConnectionError("no SockJS open frame")
        self._until(lambda: self.connected)

    connected = False

    def _read(self):
        frame = self.ws.recv()
        if frame.startswith("c"):
            raise ConnectionError(f"SockJS session closed: {frame}")
        if not frame.startswith("a"):
            return
        for text in json.loads(frame[1:]):
            message = json.loads(text)
            if message.get("type") == "connect":
                self.connected = True
            elif message.get("type") == "ack":
                args = message.get("args") or [None]
                self.acks[message["id"]] = args[0] if len(args) == 1 else args
            elif message.get("type") == "event":
                self.events.append((message["event"], message.get("args") or []))

    def _until(self, done):
        deadline = time.monotonic() + self.timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from the SockJS server")
            self._read()

    def call(self, event, *args):
        self.ids += 1
        ack_id = self.ids
        self.ws.send(json.dumps([json.dumps({"type": "event", "event": event, "args": list(args), "id": ack_id})]))
        self._until(lambda: ack_id in self.acks)
        return self.acks.pop(ack_id)

    def wait_event(self, name, match):
        """The args of the first ``name`` event whose first argument satisfies ``match``."""
        found = []

        def seen():
            found[:] = [args for event, args in self.events if event == name and args and match(args[0])]
            return bool(found)

        self._until(seen)
        return found[0]

    def close(self):
        self.ws.close()


def tls_client_context(ca_file):
    return ssl.create_default_context(cafile=str(ca_file))


# -- Medium 8: a polling session id replayed from another address ----------------------------
def request_from(source, port, method, path, context, body=None, headers=None):
    """``(status, body, headers)`` of one HTTPS request to 127.0.0.1:``port`` sent from the local address ``source``.

    Any 127.x.y.z is this host on Linux: 127.0.0.2 plays another client.
    """
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=15,
                                             source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace"), response.headers
    finally:
        connection.close()


# -- Medium 9: Redis without a password -----------------------------------------------------
def redis_answer(port, *command, password=None):
    """Send one command to Redis over a raw socket (RESP); returns its first reply line."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        if password is not None:
            sock.sendall(resp("AUTH", password))
            reply = sock.recv(4096)
            if not reply.startswith(b"+OK"):
                return reply.decode(errors="replace").strip()
        sock.sendall(resp(*command))
        return sock.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def resp(*words):
    out = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


# -- Medium 8: what the stack leaves on disk ---------------------------------------------------
def open_to_others(root):
    """Files under ``root`` (but the tracked ``.gitignore``) with any permission for users outside the group."""
    return sorted(
        f"{path.relative_to(root)} {oct(path.stat().st_mode & 0o777)}"
        for path in root.rglob("*")
        if path.name != ".gitignore" and not path.is_symlink() and not path.is_dir() and path.stat().st_mode & 0o007
    )


def dotenv_values(project):
    values = {}
    for line in (project / ".env").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), value.strip())
    return values
