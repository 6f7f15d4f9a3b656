"""The tornado process behind ``manage.py runsocket``.

Serves ``/healthz`` (tornado itself), every SockJS endpoint and, with
``django=True``, the Django project through ``WSGIContainer`` (in a thread
pool, so a slow view does not stall the sockets). SIGTERM/SIGINT: stop
accepting, let the events already read finish (their acks go out; later
ones are not run), close every session with 1012 ("restarting": clients reconnect,
to another process behind HAProxy), let ``socket_disconnected`` receivers
finish (a few seconds at most), close the bus, exit 0.
"""

import asyncio
import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.web import Application, FallbackHandler
from tornado.wsgi import WSGIContainer

from realtime import bus, conf, delivery
from realtime.gcfreeze import freeze_startup_objects
from realtime.registry import connected_sockets
from realtime.transports.sockjs import workers
from realtime.transports.sockjs.connection import CLOSE_RESTART, Shutdown, close_session
from realtime.transports.sockjs.gate import RequestGate
from realtime.transports.sockjs.handlers import HealthHandler, log_request
from realtime.transports.sockjs.router import build_routers, check_settings, mounted
from realtime.transports.sockjs.session import sessions

logger = logging.getLogger("realtime")

SHUTDOWN_SECONDS = 3
#: Seconds the events already read get to finish (and answer their acks) on SIGTERM.
DRAIN_SECONDS = 2


def _idle(session):
    """No event of this session's socket is queued or running."""
    socket = getattr(getattr(session, "conn", None), "socket", None)
    queue = getattr(socket, "queue", None)
    return queue is None or queue.idle


def without_head_body(app):
    """A WSGI app whose answers to HEAD have no body.

    Django answers HEAD like GET and leaves removing the body to the server;
    tornado's ``WSGIContainer`` writes it and fails ("Tried to write more data
    than Content-Length", a traceback per request: found by ``test_sockjs_fuzz``).
    """

    def app_without_head_body(environ, start_response):
        result = app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "HEAD":
            return result
        if hasattr(result, "close"):
            result.close()
        return []

    return app_without_head_body


def build_application(io_loop, django=False, static=False):
    """The tornado ``Application``: health, SockJS routers, then Django (optional)."""
    routes = [(r"/healthz", HealthHandler)]
    for prefix, router in build_routers(io_loop):
        # With Django served here, the bare prefix (SockJS's "Welcome" greeting, which
        # no client needs) is Django's: a page may live at its endpoint's URL, as
        # behind HAProxy, which sends only SockJS-shaped paths to this pool.
        routes.extend(url for url in router.urls if not (django and url[0] == prefix + "/?"))
    if django:
        from django.core.wsgi import get_wsgi_application

        app = get_wsgi_application()
        if static:
            from django.contrib.staticfiles.handlers import StaticFilesHandler

            app = StaticFilesHandler(app)
        size = conf.sockjs_django_threads()
        executor = ThreadPoolExecutor(size, thread_name_prefix="django")
        container = WSGIContainer(without_head_body(_trimmed_headers(app)), executor=executor)
        routes.append((r".*", FallbackHandler, {"fallback": container}))
    # tornado closes a websocket whose frame exceeds this (1009); a message
    # under it but over REALTIME_MAX_MESSAGE_BYTES is dropped with an error.
    return Application(
        routes, websocket_max_message_size=conf.max_message_bytes() * 4 + 1024, log_function=log_request
    )


def _trimmed_headers(app):
    """Django's WSGI handler writes ``Set-Cookie`` values with a leading space
    (``cookie.output(header="")``); tornado 6.6 refuses such a header and the
    request hangs (any page that sets a cookie: login, logout, CSRF). Strip it."""

    def trimmed(environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, [(name, value.strip()) for name, value in headers], exc_info)

        return app(environ, start)

    return trimmed


class SockJSServer:
    def __init__(self, address="127.0.0.1", port=8001, django=False, static=False):
        self.address, self.port, self.django, self.static = address, port, django, static
        self.io_loop = None
        self.http = None
        self.adapter = None
        self._stopping = False

    def run(self):
        """Serve until SIGTERM/SIGINT; returns once shut down."""
        conf.check_all()
        from realtime import clientsignal

        clientsignal.setup()
        check_settings()
        self.io_loop = IOLoop.current()
        app = build_application(self.io_loop, self.django, self.static)
        xheaders = conf.sockjs_xheaders()
        prefixes = [prefix for prefix, *_ in mounted()]
        self.http = HTTPServer(RequestGate(app, prefixes), xheaders=xheaders)  # checks headers before bodies
        self.http.listen(self.port, self.address)
        from realtime.transports import get

        transport = get("sockjs")
        self.adapter = transport.adapter_class(self.io_loop)
        delivery.register_adapter(self.adapter)
        bus.get_bus().start(runtime=transport.runtime, io_loop=self.io_loop)
        if threading.current_thread() is threading.main_thread():
            aio = asyncio.get_event_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                aio.add_signal_handler(sig, self.stop)
        # else: --reload runs us in a thread; Django's reloader exits on SIGTERM
        logger.info(
            "runsocket: SockJS on http://%s:%s%s (django=%s, static=%s)",
            self.address,
            self.port,
            conf.sockjs_prefix(),
            self.django,
            self.static,
        )
        freeze_startup_objects()
        try:
            self.io_loop.start()
        finally:
            delivery.unregister_adapter(self.adapter)
            workers.shutdown(wait=False)
        logger.info("runsocket: stopped")

    def stop(self):
        if not self._stopping:
            self._stopping = True
            self.io_loop.add_callback(self._shutdown)

    async def _shutdown(self):
        logger.info("runsocket: shutting down, asking clients to reconnect")
        self.http.stop()
        # Events already read finish first, so their acks go out before the close frames;
        # newer ones are not run (see connection.Shutdown).
        Shutdown.draining = True
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline and not all(_idle(session) for session in list(sessions)):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0)  # the acks the receivers queued on the loop (add_callback) are written now
        if Shutdown.refused:
            logger.info("runsocket: %d event(s) arrived during shutdown and were not run", Shutdown.refused)
        mine = [s for s in connected_sockets if s.transport == "sockjs"]
        # Every session, not only connected sockets: one still connecting gets its 1012 too.
        for session in list(sessions):
            close_session(session, CLOSE_RESTART, "server restart", self.io_loop)
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        while time.monotonic() < deadline and any(s in connected_sockets for s in mine):
            await asyncio.sleep(0.05)  # socket_disconnected receivers run in the workers
        try:
            await asyncio.wait_for(self.http.close_all_connections(), 1)
        except (asyncio.TimeoutError, Exception):
            pass
        try:
            bus.get_bus().close()
        except Exception:
            logger.exception("closing the bus failed")
        self.io_loop.stop()
