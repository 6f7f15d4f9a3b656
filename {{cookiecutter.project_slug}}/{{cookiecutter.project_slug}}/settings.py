"""Settings of {{ cookiecutter.project_slug }}, read from the environment.

Every value that differs between a laptop and production comes from an
environment variable; a ``.env`` file next to ``manage.py`` fills in the
variables the real environment does not set (it never overrides them).
``.env.example`` documents each variable. Defaults are the production-safe
ones (``DEBUG`` off, secure cookies and HTTPS redirect when ``DEBUG`` is off):
``make run`` works because the generated ``.env`` sets ``DEBUG=true``.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def load_dotenv(path):
    """Fill ``os.environ`` from ``KEY=VALUE`` lines; the real environment wins."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key.isidentifier():
            raise ImproperlyConfigured(f"{path}:{number}: expected KEY=VALUE, got {line!r}.")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def env_bool(name, default):
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use true or false.")


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def private_sqlite_file(database):
    """Create a missing SQLite database file readable by its owner only.

    SQLite would create it with the process's umask, usually world-readable,
    and it holds sessions, password hashes and messages. An existing file is
    left as it is; its journal files follow its permissions.
    """
    name = str(database.get("NAME") or "")
    if database.get("ENGINE") != "django.db.backends.sqlite3" or name in ("", ":memory:") or name.startswith("file:"):
        return
    try:
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        pass  # it exists (or its folder does not: SQLite then reports that itself)


def env_list(name, default=()):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


load_dotenv(os.environ.get("DOTENV_PATH") or BASE_DIR / ".env")

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: put SECRET_KEY=<50+ random characters> in the environment or in .env "
            "(make .env writes one), or set DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "realtime",
{%- if cookiecutter.include_chat_example %}
    "chat",
{%- endif %}
{%- if cookiecutter.include_pingpong_example %}
    "pingpong",
{%- endif %}
]

MIDDLEWARE = [
    # One line per request under `manage.py rundev`, as runserver prints; removes itself elsewhere.
    "realtime.devlog.RequestLogMiddleware",
    # Behind HAProxy: /healthz answers whatever the Host; X-Forwarded-* believed only
    # from REALTIME_TRUSTED_PROXIES (see realtime/middleware.py).
    "realtime.middleware.HealthCheckMiddleware",
    "realtime.middleware.ForwardedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every page: this site's scripts and styles only (realtime/csp.py).
    "realtime.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "{{ cookiecutter.project_slug }}.urls"
WSGI_APPLICATION = "{{ cookiecutter.project_slug }}.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "{{ cookiecutter.project_slug }}" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

{%- if cookiecutter.database == "postgresql" %}
# Production reads DATABASE_URL (postgres://user:password@host:5432/name); without it
# (make run, the demo, the tests) the database is SQLite next to manage.py.
{%- endif %}
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 0),
        # A kept connection is checked before each request reuses it (one that died is reopened).
        conn_health_checks=True,
    )
}
private_sqlite_file(DATABASES["default"])
{%- if cookiecutter.database == "postgresql" %}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A server that does not answer fails the query within seconds (the chat tells the sender)
    # instead of holding a worker for the kernel's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
    if env_bool("DATABASE_POOL", False):
        # Socket processes (deploy/supervisor.conf sets DATABASE_POOL=true for them): one
        # process serves thousands of sockets, each receiver running in a greenlet (gevent) or
        # in one of REALTIME_SOCKJS_WORKERS threads (tornado). Django's connections are per
        # thread/greenlet, so persistent ones would mean one server connection per socket;
        # the pool lends a connection for one event (dispatch closes it after each, which
        # returns it) and caps the process at DATABASE_POOL_MAX_SIZE. Default 8 = the SockJS
        # worker threads (each holds at most one); under gevent the 9th concurrent query waits
        # (a greenlet wait, the hub keeps serving) up to DATABASE_POOL_TIMEOUT seconds.
        # Budget: socket processes x max size + gunicorn workers <= the server's max_connections.
        pool = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 8),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 5),
        }
        if not 0 <= pool["min_size"] <= pool["max_size"] or pool["max_size"] < 1 or pool["timeout"] < 1:
            raise ImproperlyConfigured(
                f"DATABASE_POOL_MIN_SIZE={pool['min_size']}, DATABASE_POOL_MAX_SIZE={pool['max_size']}, "
                f"DATABASE_POOL_TIMEOUT={pool['timeout']}: set 0 <= MIN_SIZE <= MAX_SIZE, MAX_SIZE >= 1 and "
                "TIMEOUT >= 1 (seconds), e.g. 2, 8 and 5."
            )
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them open, not Django
        DATABASES["default"]["OPTIONS"]["pool"] = pool
{%- endif %}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Static files: WhiteNoise serves them from every process (gunicorn, rungevent,
# runsocket --django), from the apps' static/ folders (finders) and from
# STATIC_ROOT once `manage.py collectstatic` filled it.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# The site's own files (its stylesheet, its icon), shared by every app's pages.
STATICFILES_DIRS = [BASE_DIR / "{{ cookiecutter.project_slug }}" / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# HTTPS: on by default whenever DEBUG is off; each can be turned off by its
# variable (e.g. SECURE_SSL_REDIRECT=false behind a proxy that redirects itself).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health checks speak plain HTTP to each process
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    # Only behind a proxy that sets X-Forwarded-Proto itself and strips the client's.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Addresses (IPs or networks) whose X-Forwarded-For/-Proto are believed: the proxy's.
# From any other client those headers are removed (realtime.middleware.ForwardedMiddleware).
REALTIME_TRUSTED_PROXIES = env_list("REALTIME_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Realtime: the transports this project serves (see realtime/conf.py for the
# REALTIME_* settings and their defaults).
{%- if cookiecutter.transport == "both" %}
REALTIME_TRANSPORTS = ["socketio", "sockjs"]
{%- else %}
REALTIME_TRANSPORTS = ["{{ cookiecutter.transport }}"]
{%- endif %}

# The bus between socket processes: a dotted class path, or unset for the
# in-memory bus (one process). `manage.py rundev` sets the local bus when it
# runs two processes (realtime/bus/local.py).
REALTIME_BUS_BACKEND = os.environ.get("REALTIME_BUS_BACKEND") or None
{%- if cookiecutter.redis != "none" %}
# Production sets REDIS_URL: the bus then spans every process and host.
REDIS_URL = os.environ.get("REDIS_URL") or None
if REDIS_URL:
    REALTIME_BUS_BACKEND = "realtime.bus.redis.RedisBus"
{%- endif %}

# Where browsers connect, when not to this site's own origin (rundev serves
# SockJS on a second port), and who may connect (default: the same origin, exactly).
if os.environ.get("REALTIME_SOCKJS_URL"):
    REALTIME_SOCKJS_URL = os.environ["REALTIME_SOCKJS_URL"]
if os.environ.get("REALTIME_SOCKETIO_URL"):
    REALTIME_SOCKETIO_URL = os.environ["REALTIME_SOCKETIO_URL"]
if os.environ.get("REALTIME_ALLOWED_ORIGINS"):
    REALTIME_ALLOWED_ORIGINS = env_list("REALTIME_ALLOWED_ORIGINS")
if os.environ.get("REALTIME_CHANNEL_PREFIX"):
    REALTIME_CHANNEL_PREFIX = os.environ["REALTIME_CHANNEL_PREFIX"]

{%- if cookiecutter.include_pingpong_example %}

# Client signals (realtime.clientsignal): each URL is a SockJS endpoint and a
# Socket.IO namespace of the same name; the ping/pong example lives on /pingpong.
CLIENTSIGNAL_CONNECTIONS = {"/pingpong": "pingpong.connections.PingPongConnection"}
{%- endif %}

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"},
    },
    "filters": {"one_warning_line": {"()": "realtime.logfilters.OneWarningLine"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"},
    },
    # Records propagate to the root's handler (so pytest's caplog sees them too).
    "root": {"handlers": ["stdout"], "level": "WARNING"},
    "loggers": {
        "django": {"level": LOG_LEVEL},
        # A bad Host header is the client's mistake: one WARNING line, no traceback.
        "django.security.DisallowedHost": {"filters": ["one_warning_line"]},
        "realtime": {"level": LOG_LEVEL},
        "{{ cookiecutter.project_slug }}": {"level": LOG_LEVEL},
    },
}
