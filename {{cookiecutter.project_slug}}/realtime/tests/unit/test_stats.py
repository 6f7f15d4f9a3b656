"""The staff-only live dashboard, its JSON and its feed, with the in-memory bus (this process only)."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from realtime import dashboard, stats
from realtime.testing.memory import MemorySocket, memory_transport


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user("staffer", password="pw", is_staff=True)


@pytest.fixture
def staff(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def member(db):
    user = get_user_model().objects.create_user("member", password="pw")
    client = Client()
    client.force_login(user)
    return client


def test_urls():
    assert reverse("realtime:dashboard") == "/realtime/"
    assert reverse("realtime:stats_json") == "/realtime/stats.json"


@pytest.mark.django_db
def test_anonymous_and_non_staff_are_kept_out(member):
    anonymous = Client()
    page = anonymous.get("/realtime/", secure=True)
    assert page.status_code == 302 and "login" in page["Location"]
    assert anonymous.get("/realtime/stats.json", secure=True).status_code == 403
    assert member.get("/realtime/stats.json", secure=True).status_code == 403
    page = member.get("/realtime/", secure=True)
    assert page.status_code == 302 and "login" in page["Location"]


@pytest.mark.django_db
def test_the_old_stats_address_leads_to_the_dashboard(staff):
    response = staff.get("/realtime/stats/", secure=True)
    assert response.status_code == 302 and response["Location"] == "/realtime/"


def test_staff_sees_this_process(staff):
    data = staff.get("/realtime/stats.json", secure=True).json()
    assert data["totals"]["processes"] == len(data["processes"]) >= 1
    assert data["bus"] == {"backend": "MemoryBus", "networked": False}
    row = next(r for r in data["processes"] if r["this_process"])
    assert {"connections", "rooms", "room_members", "per_second", "totals", "transports", "host", "pid"} <= set(row)
    assert row["uptime"] >= 0
    assert set(row["per_second"]) == {"messages_in", "messages_out", "published"}
    page = staff.get("/realtime/", secure=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Realtime dashboard" in html and row["process"] in html
    assert 'id="dashboard-data"' in html and "realtime/dashboard.js" in html and "site/site.css" in html
    assert page["Cache-Control"].startswith("max-age=0")


def test_rooms_with_member_counts_add_up_across_rows(staff):
    with memory_transport():
        sockets = [MemorySocket().connect() for _ in range(3)]
        for s in sockets:
            s.join("lobby")
        sockets[0].join("quiet")
        data = staff.get("/realtime/stats.json", secure=True).json()
    assert {"endpoint": "/", "room": "lobby", "members": 3} in data["rooms"]
    assert {"endpoint": "/", "room": "quiet", "members": 1} in data["rooms"]
    assert data["rooms"][0]["room"] == "lobby"  # most populated first


@pytest.fixture
def reporter():
    """The process's reporter, stopped after the test (later tests install other buses)."""
    yield dashboard.reporter
    dashboard.reporter.stop()
    assert not dashboard.reporter.running


def test_the_feed_is_for_staff_and_pushes_every_second(staff_user, django_user_model, reporter):
    with memory_transport():
        nobody = MemorySocket().connect()
        answer = nobody.event(dashboard.WATCH, {})
        assert answer["error"] == "forbidden" and dashboard.ROOM not in nobody.rooms
        member = MemorySocket(django_user_model.objects.create_user("plain", password="pw")).connect()
        assert member.event(dashboard.WATCH, {})["error"] == "forbidden"

        watcher = MemorySocket(staff_user).connect()
        answer = watcher.event(dashboard.WATCH, {})
        assert answer["ok"] and dashboard.ROOM in watcher.rooms and reporter.running
        assert answer["stats"]["totals"]["connections"] == 3
        deadline = time.monotonic() + 10
        while len(watcher.got(dashboard.EVENT)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        rows = watcher.got(dashboard.EVENT)
        assert len(rows) >= 2, "the reporter did not push two reports in 10 s"
        assert rows[-1]["process"] == answer["stats"]["process"]
        assert rows[-1]["bus"]["backend"] == "MemoryBus"
        assert rows[-1]["totals"]["messages_in"] >= 3  # the three watch events
        assert rows[-1]["time"] > rows[0]["time"]
        # nobody else got a report
        assert nobody.got(dashboard.EVENT) == [] and member.got(dashboard.EVENT) == []


def test_rates_are_per_second_over_a_window(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(stats.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(stats, "_sample", None)
    stats.snapshot("p")
    stats.counters.messages_out += 50
    clock[0] += 0.5  # inside the window: the previous rates stand
    assert stats.snapshot("p")["per_second"]["messages_out"] == 0.0
    clock[0] += 1.5  # 2 s after the first sample
    assert stats.snapshot("p")["per_second"]["messages_out"] == 25.0
