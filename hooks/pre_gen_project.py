"""Validate the answers before cookiecutter writes anything.

The answers arrive as data (a JSON document in a raw string), never pasted
into Python source, so a quote or a backslash in a name cannot break or
inject code. Each problem is reported as one sentence that says how to fix
it; any problem exits non-zero, and cookiecutter then removes the half-made
project directory, so nothing is written.
"""

import json
import keyword
import re
import sys

RESERVED_SLUGS = {"realtime", "chat", "pingpong", "django", "test", "tests", "deploy", "static", "templates"}
TRANSPORTS = ("both", "socketio", "sockjs")
REDIS_MODES = ("supervised", "external", "none")
DATABASES = ("postgresql", "sqlite")
BOOLEANS = ("include_chat_example", "include_pingpong_example", "use_supervisor", "use_haproxy")
MAX_PROCESSES = 16


def parse_int(value):
    """An int from an answer ("2", 2), or None for anything else (True, "2.5", "two")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        return int(value)
    return None


def check_slug(slug):
    if not isinstance(slug, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", slug):
        return (
            f"project_slug {slug!r} is not a lowercase Python identifier: use lowercase letters, digits and "
            "underscores, starting with a letter (e.g. project_slug=my_site)."
        )
    if keyword.iskeyword(slug) or keyword.issoftkeyword(slug):
        return f"project_slug {slug!r} is a Python keyword: choose another name (e.g. project_slug={slug}_site)."
    if slug in RESERVED_SLUGS:
        return (
            f"project_slug {slug!r} clashes with a package of the generated project: choose another name "
            f"(e.g. project_slug={slug}_site)."
        )
    if slug in getattr(sys, "stdlib_module_names", ()):
        return (
            f"project_slug {slug!r} shadows Python's standard module of the same name: choose another name "
            f"(e.g. project_slug={slug}_site)."
        )
    return None


def check_choices(answers):
    errors = []
    if answers.get("transport") not in TRANSPORTS:
        choices = ", ".join(TRANSPORTS)
        errors.append(f"transport {answers.get('transport')!r} is not one of {choices}: pick one of them.")
    if answers.get("redis") not in REDIS_MODES:
        errors.append(f"redis {answers.get('redis')!r} is not one of {', '.join(REDIS_MODES)}: pick one of them.")
    if answers.get("database") not in DATABASES:
        errors.append(
            f"database {answers.get('database')!r} is not one of {', '.join(DATABASES)}: pick one of them "
            "(postgresql for production, sqlite for a single small host)."
        )
    for name in BOOLEANS:
        if not isinstance(answers.get(name), bool):
            errors.append(f"{name} {answers.get(name)!r} is not a boolean: answer true or false (or y / n).")
    return errors


def check_processes(answers):
    processes = parse_int(answers.get("socket_processes"))
    if processes is None or not 1 <= processes <= MAX_PROCESSES:
        return [
            f"socket_processes {answers.get('socket_processes')!r} is not a whole number from 1 to "
            f"{MAX_PROCESSES}: set socket_processes=2 (or any number in that range)."
        ]
    if processes > 1 and answers.get("redis") == "none":
        return [
            f"socket_processes={processes} needs a bus between the processes, but redis is none: "
            "set redis=supervised or redis=external, or set socket_processes=1."
        ]
    return []


def check_supervisor(answers):
    if answers.get("redis") == "supervised" and answers.get("use_supervisor") is False:
        return [
            "redis=supervised means supervisor runs redis-server, but use_supervisor is false: "
            "set use_supervisor=true, or choose redis=external or redis=none."
        ]
    return []


def internal_ports(answers, base, processes):
    """Every port the deploy files use, by what uses it (see cookiecutter.json's __*_port variables)."""
    ports = {"gunicorn": base, "HAProxy stats": base + 99}
    transport = answers.get("transport")
    for i in range(processes):
        if transport in ("both", "socketio"):
            ports[f"Socket.IO process {i + 1}"] = base + 100 + i
        if transport in ("both", "sockjs"):
            ports[f"SockJS process {i + 1}"] = base + 200 + i
    if answers.get("redis") == "supervised":
        ports["redis-server"] = base + 379
    return ports


def check_ports(answers):
    public = parse_int(answers.get("public_port"))
    base = parse_int(answers.get("internal_port_base"))
    errors = []
    if public is None or not 1024 <= public <= 65535:
        errors.append(
            f"public_port {answers.get('public_port')!r} is not a port from 1024 to 65535: set public_port=8000 "
            "or another free port in that range."
        )
    if base is None or not 1024 <= base <= 65535 - 379:
        errors.append(
            f"internal_port_base {answers.get('internal_port_base')!r} is not a port from 1024 to {65535 - 379} "
            "(the internal ports go up to base+379): set internal_port_base=9000 or another base in that range."
        )
    processes = parse_int(answers.get("socket_processes"))
    if errors or processes is None or not 1 <= processes <= MAX_PROCESSES:
        return errors
    if answers.get("use_haproxy") is True:
        for user, port in internal_ports(answers, base, processes).items():
            if port == public:
                errors.append(
                    f"public_port={public} collides with the {user} port (internal_port_base={base}): "
                    "choose a public_port outside internal_port_base..internal_port_base+379, "
                    "or move internal_port_base."
                )
    return errors


def validate(answers):
    """Every problem with the answers, one sentence each (empty: all good)."""
    errors = []
    slug_error = check_slug(answers.get("project_slug"))
    if slug_error:
        errors.append(slug_error)
    errors += check_choices(answers)
    errors += check_processes(answers)
    errors += check_supervisor(answers)
    errors += check_ports(answers)
    return errors


def main(answers):
    errors = validate(answers)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(json.loads(r'''{{ cookiecutter | tojson }}''')))
