"""The Redis bus's settings: every URL form, checked at start with errors that name the fix."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from realtime.bus.redis import RedisBus, redact, validate_url


@pytest.mark.parametrize(
    "url, fragment",
    [
        (None, "REDIS_URL must be a Redis URL"),
        ("http://localhost:6379/0", "scheme must be one of redis, rediss, unix"),
        ("redis:///0", "has no host"),
        ("redis://localhost:99999/0", "port must be a number"),
        ("redis://localhost:63x9/0", "port must be a number"),
        ("redis://:secret@localhost:6379/zero", "database must be a number"),
        ("unix://", "needs a socket path"),
        ("unix:///run/redis.sock?db=x", "database must be a number"),
        ("redis+sentinel://:secret@/mymaster/0", "names no sentinel"),
        ("redis+sentinel://:secret@h1:26379,h2/mymaster", "each sentinel must be host:port"),
        ("redis+sentinel://:secret@h1:26379", "name the master"),
        ("redis+sentinel://:secret@h1:26379/mymaster/zero", "database must be a number"),
    ],
)
def test_bad_urls_are_refused_naming_the_setting(url, fragment):
    with override_settings(REDIS_URL=url, REALTIME_BUS_BACKEND="realtime.bus.redis.RedisBus"):
        with pytest.raises(ImproperlyConfigured) as info:
            RedisBus.check_settings()
    assert fragment in str(info.value)
    assert "secret" not in str(info.value)  # the password never reaches a log or an error page
    if url:
        assert "REDIS_URL" in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost",
        "redis://localhost:6379/0",
        "rediss://user:pw@cache.example:6380/15",
        "unix:///run/redis.sock?db=2",
        "redis://localhost/?db=3",
        "redis+sentinel://h1:26379/mymaster",
        "redis+sentinel://:pw@h1:26379,10.0.0.2:26380,h3:26381/mymaster/2?sentinel_password=x",
    ],
)
def test_good_urls_pass(url):
    validate_url("REDIS_URL", url)


def test_clientsignal_backend_is_an_alias_and_checked_at_start():
    from realtime import conf

    with override_settings(
        REDIS_URL=None, CLIENTSIGNAL_BACKEND="ftp://x", REALTIME_BUS_BACKEND="realtime.bus.redis.RedisBus"
    ):
        with pytest.raises(ImproperlyConfigured, match="CLIENTSIGNAL_BACKEND"):
            conf.check_all()
    with override_settings(
        REDIS_URL=None,
        CLIENTSIGNAL_BACKEND="redis://127.0.0.1:6379/4",
        REALTIME_BUS_BACKEND="realtime.bus.redis.RedisBus",
    ):
        assert RedisBus().url == "redis://127.0.0.1:6379/4"


def test_redact_hides_the_password():
    assert redact("redis://u:s3cret@h:1/0") == "redis://u:***@h:1/0"
    assert redact("redis://h:1/0") == "redis://h:1/0"
    assert redact("redis+sentinel://:pw@h1:2,h2:3/m/0") == "redis+sentinel://:***@h1:2,h2:3/m/0"
