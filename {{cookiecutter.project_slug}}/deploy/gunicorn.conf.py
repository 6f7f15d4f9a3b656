"""gunicorn settings of the Django web process (pages, admin, static files).

Started by ``deploy/supervisor.conf`` behind HAProxy, so it listens on
127.0.0.1 only. The realtime traffic never reaches it (HAProxy routes it to
the socket processes), so plain sync workers are right here: Django views stay
simple and a slow view blocks one worker, not a thousand sockets.

A sync worker is also held by a client that sends its request slowly, and a
few such clients would hold them all: gunicorn must sit behind a proxy that
reads each request body whole before passing it on (HAProxy does, with
`option http-buffer-request` in deploy/haproxy.cfg, and answers 408 to the
slow ones, 413 to a body larger than its 64 KB buffer, which it could only pass
on half-read). Never expose this port directly.

{% if cookiecutter.database == "postgresql" %}Database: a sync worker serves one request at a time, so each keeps its own
PostgreSQL connection between requests (``CONN_MAX_AGE``, 60 s from
``deploy/run``, checked before reuse); no pool here, unlike the socket
processes. Count ``WEB_CONCURRENCY`` in the server's ``max_connections``.

{% endif %}Environment: ``WEB_CONCURRENCY`` (workers, default 2 per core, at most 8),
``GUNICORN_BIND`` (default ``127.0.0.1:{{ cookiecutter.__gunicorn_port }}``),
``REALTIME_TRUSTED_PROXIES`` (who may set X-Forwarded-*, default 127.0.0.1).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:{{ cookiecutter.__gunicorn_port }}")
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count(), 8))
worker_class = "sync"
timeout = 30
# SIGTERM from supervisor: finish the requests in flight, then exit (within stopwaitsecs).
graceful_timeout = 10
keepalive = 5
# Recycle workers now and then, so a slow leak never takes the site down.
max_requests = 2000
max_requests_jitter = 200
# Only HAProxy may say the request was HTTPS.
forwarded_allow_ips = os.environ.get("REALTIME_TRUSTED_PROXIES") or "127.0.0.1"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "{{ cookiecutter.project_slug }}-web"
# gunicorn >= 25 opens a control socket (in $HOME by default): keep it in the project.
control_socket = "var/gunicorn.ctl"
