"""The transports this project can serve: the one place that registers them.

Plain data, standard library only: the post-gen hook reads this file by its
path (it runs before the project's dependencies exist, so it cannot import
Django) to prune the transports a project was not baked with, and
``rungevent``, ``runsocket``, ``rundev``, the template tags and
``realtime.testing`` read the same entries through :mod:`realtime.transports`.
A transport's behaviour (its Socket class, adapter, server) is its
:class:`realtime.transports.base.Transport` subclass, named by ``definition``.

Entry keys (every key is required; ``tests/test_transports.py`` checks them):

``definition``   dotted path of its ``Transport`` subclass.
``command``      the management command that serves it.
``runtime``      ``"gevent"`` or ``"tornado"``: what the bus's listener runs on.
``listen_args``  the command's arguments for an address and a port
                 (``{address}``/``{port}`` are filled in).
``site_args``    added when the same process must also serve the Django site
                 (``rundev`` with this transport first).
``url_setting``  the setting that points pages at it on another origin.
``url_path``     the function of ``realtime.conf`` that gives the path its URL
                 ends with (``None``: the URL is an origin, the client adds the path).
``library``      its vendored browser library (static path).
``scripts``      every static file a page loads for it, in order (library first;
                 ``realtime-core.js``, shared by every transport, comes before them).
``adapter``      the file that shares one connection per page between the page's
                 endpoints (what ``{% clientsignal_js %}`` loads after the library).
``files``        globs, relative to the project root, of every file that belongs
                 to it alone: removed when a project is baked without it.

The order is the order of preference: with several transports, ``rundev``
serves the site from the first one's process.
"""

TRANSPORTS = {
    "socketio": {
        "definition": "realtime.transports.socketio.transport.SocketIOTransport",
        "command": "rungevent",
        "runtime": "gevent",
        "listen_args": ["{address}:{port}"],
        "site_args": [],
        "url_setting": "REALTIME_SOCKETIO_URL",
        "url_path": None,
        "library": "realtime/socket.io.min.js",
        "scripts": ["realtime/socket.io.min.js", "realtime/realtime-socketio.js"],
        "adapter": "realtime/realtime-socketio.js",
        "files": [
            "realtime/transports/socketio",
            "realtime/management/commands/rungevent.py",
            "realtime/templatetags/socketio.py",
            "realtime/static/realtime/socket.io*",
            "realtime/static/realtime/realtime-socketio.js",
            "realtime/testing/socketio.py",
            "realtime/tests/**/test_socketio*.py",
            "realtime/tests/**/socketio_*.py",  # helpers of those tests
            "realtime/tests/legacyapp",
            "realtime/tests/protocolapp",
        ],
    },
    "sockjs": {
        "definition": "realtime.transports.sockjs.transport.SockJSTransport",
        "command": "runsocket",
        "runtime": "tornado",
        "listen_args": ["--port", "{port}", "--address", "{address}"],
        "site_args": ["--django", "--static"],
        "url_setting": "REALTIME_SOCKJS_URL",
        "url_path": "sockjs_prefix",
        "library": "realtime/sockjs.min.js",
        "scripts": ["realtime/sockjs.min.js", "realtime/sockjs-multiplex.js", "realtime/realtime-sockjs.js"],
        "adapter": "realtime/sockjs-multiplex.js",
        "files": [
            "realtime/transports/sockjs",
            "realtime/management/commands/runsocket.py",
            "realtime/static/realtime/sockjs*",
            "realtime/static/realtime/realtime-sockjs.js",
            "realtime/testing/sockjs",  # the SockJSTestClient package
            "realtime/tests/**/test_sockjs*.py",
            "realtime/tests/**/sockjs_*.py",  # helpers of those tests
            "realtime/tests/testapp/plain_sockjs.py",
        ],
    },
}

#: Files that need every transport at once (tests with clients of each): kept only then.
EVERY_TRANSPORT_FILES = ["realtime/tests/**/test_both_*.py", "chat/tests/test_both_*.py"]
