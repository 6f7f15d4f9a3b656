"""The xhr-polling transport of :class:`~.client.SockJSTestClient`: long-polling POSTs.

Kept apart from the websocket path because it is plain HTTP: one connection
held open for ``xhr`` polls (each answer is a batch of frames for
:mod:`.frames`), and a fresh one per ``xhr_send``, as a browser without
websockets would do.
"""

import http.client

from .frames import FrameReader


class XhrPolling(FrameReader):
    """``xhr`` polls in a loop (the reader thread) and ``xhr_send`` POSTs."""

    host: str
    port: int
    path: str
    query: str
    headers: dict[str, str]
    _session: str
    _poll_conn: http.client.HTTPConnection | None

    def _request(self, conn: http.client.HTTPConnection, suffix: str, body: bytes = b"") -> tuple[int, str]:
        headers = {"Content-Type": "text/plain;charset=UTF-8", **self.headers}
        conn.request("POST", f"{self.path}{self._session}/{suffix}{self.query}", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode()

    def _poll(self) -> None:
        self._poll_conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            while not self._stop and not self.disconnected.is_set():
                status, body = self._request(self._poll_conn, "xhr")
                if status != 200:
                    self.connect_error = status
                    break
                for line in body.splitlines():
                    self._frame(line)
        except Exception:
            if self.close_code is None:
                self.close_code, self.close_reason = 1006, "connection dropped"
        self._closed()

    def _xhr_send(self, body: str | bytes) -> int:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            status, _ = self._request(conn, "xhr_send", body.encode() if isinstance(body, str) else body)
            return status
        finally:
            conn.close()
