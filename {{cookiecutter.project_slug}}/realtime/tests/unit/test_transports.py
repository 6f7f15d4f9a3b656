"""The transport registry: each catalog entry is complete and its definition fits the contract.

What a transport does on the wire is ``test_transport_contract.py``; this
checks that it is put together as "Add a transport" in the README says.
"""

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from django.conf import settings

from realtime import conf, delivery, transports
from realtime.sockets import Socket
from realtime.transports import catalog
from realtime.transports.base import Transport

KEYS = {
    "definition",
    "command",
    "runtime",
    "listen_args",
    "site_args",
    "url_setting",
    "url_path",
    "library",
    "scripts",
    "adapter",
    "files",
}
AVAILABLE = transports.available()
PRUNED = [name for name in transports.names() if name not in AVAILABLE]


def test_the_catalog_is_plain_data_the_hook_can_read_without_django():
    tree = ast.parse(Path(catalog.__file__).read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert set(vars(catalog)) >= {"TRANSPORTS", "EVERY_TRANSPORT_FILES"}


@pytest.mark.parametrize("name", transports.names())
def test_every_entry_has_every_key(name):
    entry = catalog.TRANSPORTS[name]
    assert set(entry) == KEYS, f"catalog entry {name!r}: missing {KEYS - set(entry)}, unknown {set(entry) - KEYS}"
    assert entry["runtime"] in ("gevent", "tornado")
    assert entry["scripts"][0] == entry["library"]
    assert entry["adapter"] in entry["scripts"]


def test_the_project_serves_what_it_was_baked_with():
    assert AVAILABLE and set(conf.transports()) <= set(AVAILABLE)


@pytest.mark.parametrize("name", AVAILABLE)
def test_the_definition_fits_the_contract(name):
    transport = transports.get(name)
    assert isinstance(transport, Transport) and transport.name == name
    assert transports.get(name) is transport  # one instance per process
    assert issubclass(transport.socket_class, Socket) and transport.socket_class.transport == name
    assert issubclass(transport.adapter_class, delivery.Adapter) and transport.adapter_class.transport == name
    assert transport.runtime == catalog.TRANSPORTS[name]["runtime"]  # the entry's facts are the class's
    assert "address" in inspect.signature(transport.serve).parameters
    for method in ("emit", "receive", "send", "close", "assert_nothing"):
        assert callable(getattr(transport.client_class, method, None)), f"{name}'s test client lacks {method}"
    importlib.import_module(f"realtime.management.commands.{transport.command}")


@pytest.mark.parametrize("name", AVAILABLE)
def test_its_scripts_and_files_exist(name):
    root = Path(settings.BASE_DIR)
    entry = catalog.TRANSPORTS[name]
    for script in entry["scripts"]:
        assert (root / "realtime" / "static" / script).is_file(), script
    for pattern in entry["files"]:
        assert list(root.glob(pattern)), f"{name}: nothing matches {pattern!r} (the hook prunes by these globs)"


def test_a_transport_the_project_was_baked_without_says_so(monkeypatch):
    for name in PRUNED:  # none when baked with every transport: the stand-in below checks the same
        with pytest.raises(LookupError, match="baked without it"):
            transports.get(name)
    gone = {**catalog.TRANSPORTS["socketio"], "definition": "realtime.transports.pruned.transport.PrunedTransport"}
    monkeypatch.setitem(catalog.TRANSPORTS, "pruned", gone)
    with pytest.raises(LookupError, match="transport 'pruned' is not in this project .*REALTIME_TRANSPORTS"):
        transports.get("pruned")


def test_an_unknown_transport_names_the_known_ones():
    with pytest.raises(LookupError, match="the transports are socketio, sockjs"):
        transports.get("carrier-pigeon")


def test_commands_and_urls_come_from_the_entry():
    assert transports.argv("socketio", "0.0.0.0", 9100) == ["rungevent", "0.0.0.0:9100"]
    assert transports.argv("sockjs", "127.0.0.1", 9200, site=True) == [
        "runsocket", "--port", "9200", "--address", "127.0.0.1", "--django", "--static"
    ]
    assert transports.url("socketio", "http://h:1") == "http://h:1"
    assert transports.url("sockjs", "http://h:1") == "http://h:1/sockjs"
