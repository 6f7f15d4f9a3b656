"""Presence updates are folded per room (issue 16, point 7): a join storm is not n² frames."""

import time

import pytest
from django.test import override_settings

from chat.models import Room
from realtime.testing.memory import MemorySocket, memory_transport

pytestmark = pytest.mark.django_db
BOTS = 40


def join(room, nickname):
    socket = MemorySocket().connect()
    assert socket.event("chat:join", {"room": room.name, "nickname": nickname})["ok"]
    return socket


def storm(interval):
    room = Room.objects.create(name=f"storm-{str(interval).replace('.', '-')}")
    with override_settings(CHAT_PRESENCE_INTERVAL=interval), memory_transport():
        watcher = join(room, "watcher")
        bots = [join(room, f"bot{i}") for i in range(BOTS)]
        time.sleep(interval + 0.5)  # the folded update goes out when the interval ends
        frames = watcher.got("chat:presence")
        for bot in bots:
            bot.disconnect()
        return frames


def test_a_join_storm_costs_each_member_a_few_updates_not_one_per_join():
    unfolded = storm(0)
    folded = storm(0.5)
    assert len(unfolded) == BOTS + 1  # before: one full member list per join
    assert 1 <= len(folded) <= 3, len(folded)  # the first at once, the rest folded
    assert len(folded[-1]["members"]) == BOTS + 1  # the last update has everyone
    assert folded[-1]["event"] == "joined" and folded[-1]["nickname"] == f"bot{BOTS - 1}"
    size = sum(len(str(f)) for f in folded)
    assert size * 10 < sum(len(str(f)) for f in unfolded), size
