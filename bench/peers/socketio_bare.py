"""Bare python-socketio on gevent + gevent-websocket: the library ``rungevent`` is built on.

The same three events as the realtime test app, written the way the library's
own examples do it: ``join`` enters a room (acknowledged), ``to_room`` emits
``room_message`` to a room, ``echo`` acknowledges with its arguments. With
``--redis URL`` the server uses the library's ``RedisManager`` (pub/sub), as
a multi-process python-socketio deployment would.

    python bench/peers/socketio_bare.py --port 8001 [--redis redis://127.0.0.1:6379/0 --channel x]
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402

import socketio  # noqa: E402
from gevent import pywsgi  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", help="a Redis URL: use socketio.RedisManager")
    parser.add_argument("--channel", default="socketio", help="the RedisManager's pub/sub channel")
    args = parser.parse_args()

    manager = socketio.RedisManager(args.redis, channel=args.channel) if args.redis else None
    sio = socketio.Server(async_mode="gevent", client_manager=manager, cors_allowed_origins="*")

    @sio.on("join")
    def join(sid, room):
        sio.enter_room(sid, room)
        return [room]

    @sio.on("to_room")
    def to_room(sid, room, payload):
        sio.emit("room_message", payload, room=room)

    @sio.on("echo")
    def echo(sid, *args):
        return args

    app = socketio.WSGIApp(sio, lambda environ, start: start("200 OK", []) or [b"ok"])
    server = pywsgi.WSGIServer(("127.0.0.1", args.port), app, handler_class=WebSocketHandler, log=None)
    server.serve_forever()


if __name__ == "__main__":
    main()
