"""Client-signal declarations and settings, in process (no transport)."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal
from django.test import override_settings

import realtime.clientsignal as clientsignal
from realtime import bus, conf
from realtime.clientsignal import SignalConnection, SignalDataError
from realtime.clientsignal import settings as cs_settings
from realtime.templatetags.clientsignal import LIBRARIES, clientsignal_js


class Conn(SignalConnection):
    pass


class Sub(Conn):
    pass


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(bus, "publish", sent.append)
    monkeypatch.setattr(clientsignal, "_connections", {"/a": Conn, "/b": Sub})
    return sent


def test_broadcast_publishes_once_per_url_even_if_declared_twice(published):
    sig = Signal()
    Conn.broadcast("news", sig)
    Sub.broadcast("news", sig)  # a subclass declaring it again must not double it
    sig.send(sender=None, text="hi", name="n")
    assert sorted((e.endpoint, e.event, e.args[0]["text"]) for e in published) == [
        ("/a", "news", "hi"),
        ("/b", "news", "hi"),
    ]


def test_non_json_data_raises_a_clear_error_at_send(published):
    sig = Signal()
    Conn.broadcast("bad", sig)
    with pytest.raises(SignalDataError, match="signal 'bad': data is not JSON-serialisable"):
        sig.send(sender=None, when=object())
    assert not published


def test_declarations_are_validated_and_inherited():
    sig = Signal()
    Conn.listen("ping_unit", sig)
    assert Sub(socket=None)._listened_signal("ping_unit") is sig
    assert SignalConnection(socket=None)._listened_signal("ping_unit") is None
    with pytest.raises(ValueError):
        Conn.listen("not a name", sig)
    with pytest.raises(TypeError):
        Conn.listen("ok", object())


def test_settings_checks():
    with override_settings(CLIENTSIGNAL_CONNECTIONS={"simple": "x.Y"}), pytest.raises(ImproperlyConfigured):
        cs_settings.connection_paths()
    with override_settings(CLIENTSIGNAL_JSON_ENCODER="json.loads"), pytest.raises(ImproperlyConfigured):
        cs_settings.json_encoder()
    with override_settings(CLIENTSIGNAL_BACKEND="x://h/0", REALTIME_BUS_BACKEND=None):
        with pytest.raises(ImproperlyConfigured, match="REALTIME_BUS_BACKEND"):
            cs_settings.check_backend()
    with override_settings(CLIENTSIGNAL_BACKEND_OPTIONS={"OTHER": 1}), pytest.raises(ImproperlyConfigured):
        cs_settings.check_all()

    class Custom(json.JSONEncoder):
        pass

    class WithEncoder(SignalConnection):
        json_encoder = Custom

    assert cs_settings.json_encoder(WithEncoder) is Custom


def test_template_tag_emits_config_and_scripts_without_inline_js():
    transport = conf.installed_transports()[-1]  # one transport: only its library is loaded
    with override_settings(REALTIME_TRANSPORTS=[transport], REALTIME_SOCKJS_URL="http://127.0.0.1:8001/sockjs"):
        html = clientsignal_js()
    assert '"sockjsBase": "http://127.0.0.1:8001"' in html
    assert [name for name, library in LIBRARIES.items() if library in html] == [transport]
    assert '"sockjsUrl": "http://127.0.0.1:8001/sockjs"' in html  # the multiplexed connection: + "/mux"
    assert html.count("<script") == 5 and 'type="application/json"' in html  # config, core, library, adapter, ours
