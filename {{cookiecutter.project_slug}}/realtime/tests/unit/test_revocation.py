"""A socket loses its user when the user does (issue 16, point 5), in-process.

The user is resolved once, at connect: before, a logged-out or deactivated
user's open socket kept reading and posting in private rooms. Over HTTP
(and across processes, where the project has a networked bus): the chat's
``test_chat_revocation`` tests.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from realtime.control import disconnect_user
from realtime.envelope import Envelope
from realtime.testing.memory import MemorySocket, memory_transport

pytestmark = pytest.mark.django_db


def user(name):
    return get_user_model().objects.create_user(name, password="pw")


def sockets_of(*users):
    return [MemorySocket(user=u).connect() for u in users]


def test_logout_closes_that_users_sockets_only():
    ann, bob = user("rv-ann"), user("rv-bob")
    with memory_transport():
        ann_sock, bob_sock = sockets_of(ann, bob)
        client = Client()
        client.force_login(ann)
        client.logout()  # django.contrib.auth.logout: user_logged_out
        assert ann_sock.closed and not bob_sock.closed


@pytest.mark.parametrize("change", ["deactivate", "password", "delete"])
def test_deactivation_password_change_and_deletion_close_the_sockets(change):
    ann, bob = user(f"rv-{change}"), user(f"rv-{change}-other")
    with memory_transport():
        ann_sock, bob_sock = sockets_of(ann, bob)
        if change == "deactivate":
            ann.is_active = False
            ann.save()
        elif change == "password":
            ann.set_password("new password")
            ann.save()
        else:
            ann.delete()
        assert ann_sock.closed and not bob_sock.closed


def test_saves_that_touch_neither_password_nor_is_active_keep_the_sockets():
    ann = user("rv-keep")
    with memory_transport():
        (ann_sock,) = sockets_of(ann)
        ann.first_name = "Ann"
        ann.save()
        ann.save(update_fields=["last_login"])  # every login does this
        assert not ann_sock.closed


def test_anonymous_sockets_are_never_anyones():
    ann = user("rv-anon")
    with memory_transport():
        anon = MemorySocket().connect()
        disconnect_user(ann.pk)
        disconnect_user(None)
        assert not anon.closed


def test_control_envelope_round_trips_and_an_unknown_one_is_dropped_with_a_log_line(caplog):
    ann = user("rv-wire")
    with memory_transport():
        (ann_sock,) = sockets_of(ann)
        unknown = Envelope.from_json(Envelope("control", [str(ann.pk)], event="reboot").to_json())
        from realtime import delivery

        assert delivery.deliver(unknown) == 0 and not ann_sock.closed
        assert caplog.text.count("not understood") == 1
        wire = Envelope.from_json(Envelope("control", [str(ann.pk), "test"], event="disconnect_user").to_json())
        assert delivery.deliver(wire) == 1 and ann_sock.closed
        assert ann_sock.events == []  # nothing of a control envelope reaches a client
