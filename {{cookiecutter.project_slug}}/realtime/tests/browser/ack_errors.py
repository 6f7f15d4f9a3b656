"""What the browser clients' ack callbacks get for each kind of failure, on every transport.

Shared by ``test_socketio_browser.py`` and ``test_sockjs_browser.py``: the
same page code must see the same ``(err, ack)`` whichever transport it uses.
"""

#: Emits each event with an ack callback; resolves to what each callback got.
EMIT_ALL = """(transport) => new Promise((resolve) => {
  const conn = Realtime.connect({transport: transport, ackTimeout: 10000});
  const cases = [['echo', 'fine'], ['refuse_me'], ['no-such-event-here'], ['boom']];
  const got = {};
  conn.on('connect', () => cases.forEach(([name, ...args]) => conn.emit(name, ...args, function (err, ack) {
    got[name] = {
      err: err === null ? null : {isError: err instanceof Error, code: err.code, message: err.message, data: err.data},
      ack: ack === undefined ? '<none>' : ack,
      count: arguments.length,
    };
    if (Object.keys(got).length === cases.length) { conn.close(); resolve(got); }
  })));
})"""

EXPECTED = {
    "echo": {"err": None, "ack": "fine", "count": 2},
    "refuse_me": {
        "err": {
            "isError": True,
            "code": "not_allowed",
            "message": "refused on purpose",
            "data": {"error": "not_allowed", "message": "refused on purpose", "retry_after": 3},
        },
        "ack": "<none>",
        "count": 1,
    },
    "no-such-event-here": {
        "err": {
            "isError": True,
            "code": "unknown_event",
            "message": "no receiver for event 'no-such-event-here'",
            "data": {"error": "unknown_event", "message": "no receiver for event 'no-such-event-here'"},
        },
        "ack": "<none>",
        "count": 1,
    },
    "boom": {
        "err": {
            "isError": True,
            "code": "server_error",
            "message": "the server failed to handle this event",
            "data": {"error": "server_error", "message": "the server failed to handle this event"},
        },
        "ack": "<none>",
        "count": 1,
    },
}
