"""Bare sockjs-tornado 1.0.7: the library ``runsocket`` is built on, with its own broadcast.

A chat connection as the library's examples write one: each connection keeps
the rooms it joined, ``say`` calls ``SockJSConnection.broadcast`` (one encode,
then a send per session, the library's fast path) over the room's members.
Messages are JSON objects with an ``op``: ``join`` (acknowledged), ``say``
(delivered to the room as ``{"op": "msg", "data": ...}``) and ``echo``
(acknowledged with its data).

    python bench/peers/sockjs_bare.py --port 8002
"""

import argparse
import json
from collections import defaultdict

from sockjs.tornado import SockJSConnection, SockJSRouter
from tornado import ioloop, web

ROOMS = defaultdict(set)


class ChatConnection(SockJSConnection):
    def on_open(self, info):
        self.rooms = set()

    def on_message(self, message):
        msg = json.loads(message)
        op = msg.get("op")
        if op == "join":
            ROOMS[msg["room"]].add(self)
            self.rooms.add(msg["room"])
            self.send(json.dumps({"op": "ack", "id": msg["id"]}))
        elif op == "say":
            self.broadcast(ROOMS[msg["room"]], json.dumps({"op": "msg", "data": msg["data"]}))
        elif op == "echo":
            self.send(json.dumps({"op": "ack", "id": msg["id"], "data": msg["data"]}))

    def on_close(self):
        for room in self.rooms:
            ROOMS[room].discard(self)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    router = SockJSRouter(ChatConnection, "/sockjs")
    app = web.Application(router.urls + [(r"/healthz", HealthHandler)])
    app.listen(args.port, address="127.0.0.1")
    ioloop.IOLoop.current().start()


class HealthHandler(web.RequestHandler):
    def get(self):
        self.write("ok")


if __name__ == "__main__":
    main()
