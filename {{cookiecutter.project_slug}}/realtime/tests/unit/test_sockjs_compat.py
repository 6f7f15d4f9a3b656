"""The tornado and sockjs-tornado internals the SockJS transport reaches into are still there.

If one of these fails after upgrading tornado or sockjs-tornado, read
``transports/sockjs/tornado_compat.py`` or ``sockjs_compat.py``: each names
what it reaches into and why; adapt it, or pin the library as
``pyproject.toml`` does.
"""

import asyncio
import socket

import pytest
from sockjs.tornado import SockJSConnection, SockJSRouter
from sockjs.tornado.session import Session
from sockjs.tornado.transports import pollingbase
from tornado.iostream import IOStream

from realtime.transports.sockjs import sockjs_compat, tornado_compat


def test_tornado_methods_we_override_still_exist():
    for name, owner, attribute in tornado_compat.TORNADO_INTERNALS:
        assert callable(getattr(owner, attribute, None)), f"tornado's {name}.{attribute} is gone: fix tornado_compat"


def test_tornado_iostream_still_keeps_its_write_buffer_where_we_read_it():
    a, b = socket.socketpair()

    async def run():
        stream = IOStream(a)
        for name, _owner, attribute in tornado_compat.TORNADO_INSTANCE_INTERNALS:
            assert hasattr(stream, attribute), f"tornado's {name} lost {attribute}: fix tornado_compat"
        assert tornado_compat.write_buffer_empty(stream)
        b.setblocking(False)
        stream.write(b"x" * (8 << 20))  # more than the kernel takes at once: tornado buffers the rest
        assert not tornado_compat.write_buffer_empty(stream)
        stream.close()

    try:
        asyncio.run(run())
    finally:
        a.close()
        b.close()


def test_sockjs_tornado_has_what_our_subclasses_override_and_read():
    async def run():
        router = SockJSRouter(SockJSConnection, "/compat")
        try:
            session = Session(SockJSConnection, router, "compat-session", None)
            sockjs_compat.check_library(router=router, session=session)  # raises, naming what is missing
            routes = [(pattern + "x", handler, kwargs) for pattern, handler, kwargs in router.urls]
            sockjs_compat.replace_routes(router, routes)
            assert router.urls == routes
        finally:
            router._sessions_cleanup.stop()

    asyncio.run(run())


def test_a_missing_sockjs_tornado_internal_fails_loudly_with_the_fix(monkeypatch):
    monkeypatch.delattr(pollingbase.PollingTransportBase, "_attach_session")
    with pytest.raises(RuntimeError, match=r"PollingTransportBase\._attach_session.*sockjs_compat\.py must be updated"):
        sockjs_compat.check_library()
