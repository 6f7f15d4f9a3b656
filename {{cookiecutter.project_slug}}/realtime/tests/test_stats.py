"""The staff-only stats page and its JSON, with the in-memory bus (this process only)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from realtime import stats


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("staffer", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member(db):
    user = get_user_model().objects.create_user("member", password="pw")
    client = Client()
    client.force_login(user)
    return client


def test_urls():
    assert reverse("realtime:stats") == "/realtime/stats/"
    assert reverse("realtime:stats_json") == "/realtime/stats.json"


@pytest.mark.django_db
def test_anonymous_and_non_staff_are_kept_out(member):
    anonymous = Client()
    page = anonymous.get("/realtime/stats/", secure=True)
    assert page.status_code == 302 and "login" in page["Location"]
    assert anonymous.get("/realtime/stats.json", secure=True).status_code == 403
    assert member.get("/realtime/stats.json", secure=True).status_code == 403
    assert member.get("/realtime/stats/", secure=True).status_code == 302


def test_staff_sees_this_process(staff):
    data = staff.get("/realtime/stats.json", secure=True).json()
    assert data["totals"]["processes"] == len(data["processes"]) >= 1
    row = next(r for r in data["processes"] if r["this_process"])
    assert {"connections", "rooms", "per_second", "totals", "transports", "host", "pid"} <= set(row)
    assert set(row["per_second"]) == {"messages_in", "messages_out", "published"}
    page = staff.get("/realtime/stats/", secure=True)
    assert page.status_code == 200
    assert b"Realtime stats" in page.content and b"(this page)" in page.content
    assert page["Cache-Control"].startswith("max-age=0")


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
