"""The hooks, rendered the way cookiecutter renders them, run as scripts.

The context is built by cookiecutter's own functions (``generate_context``
then ``prompt_for_config`` with no input), so derived values such as the
slug are what a real bake sees; a test may then overwrite any answer with a
value cookiecutter itself would have refused, to check the hook's own guard.
"""

import subprocess
import sys

import pytest
from cookiecutter.environment import StrictEnvironment
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from tests.conftest import SLUG_DIR, TEMPLATE_DIR, bake


def context_for(**answers):
    context = generate_context(context_file=str(TEMPLATE_DIR / "cookiecutter.json"), extra_context=answers)
    return prompt_for_config(context, no_input=True)


def render_hook(name, cookiecutter_context, tmp_path):
    source = (TEMPLATE_DIR / "hooks" / f"{name}.py").read_text(encoding="utf-8")
    env = StrictEnvironment(context={"cookiecutter": cookiecutter_context}, keep_trailing_newline=True)
    script = tmp_path / f"{name}.py"
    script.write_text(env.from_string(source).render(cookiecutter=cookiecutter_context), encoding="utf-8")
    return script


def run_pre_gen(tmp_path, overrides=None, **answers):
    context = context_for(**answers)
    context.update(overrides or {})
    script = render_hook("pre_gen_project", context, tmp_path)
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=30)


def test_default_answers_pass(tmp_path):
    result = run_pre_gen(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# (answers given to cookiecutter, a fragment of the one sentence expected)
REJECTED = [
    ({"project_slug": "My-Site"}, "is not a lowercase Python identifier"),
    ({"project_slug": "1site"}, "is not a lowercase Python identifier"),
    ({"project_slug": ""}, "is not a lowercase Python identifier"),
    ({"project_name": "Ünïcode 9"}, None),  # slugifies to a valid identifier: accepted
    ({"project_slug": "class"}, "is a Python keyword"),
    ({"project_slug": "match"}, "is a Python keyword"),
    ({"project_slug": "realtime"}, "clashes with a package of the generated project"),
    ({"project_slug": "chat"}, "clashes with a package of the generated project"),
    ({"project_slug": "pingpong"}, "clashes with a package of the generated project"),
    ({"project_slug": "django"}, "clashes with a package of the generated project"),
    ({"project_slug": "test"}, "clashes with a package of the generated project"),
    ({"project_slug": "tests"}, "clashes with a package of the generated project"),
    ({"project_slug": "json"}, "shadows Python's standard module"),
    ({"socket_processes": "0"}, "is not a whole number from 1 to 16"),
    ({"socket_processes": "17"}, "is not a whole number from 1 to 16"),
    ({"socket_processes": "two"}, "is not a whole number from 1 to 16"),
    ({"socket_processes": "2.5"}, "is not a whole number from 1 to 16"),
    ({"socket_processes": "2", "redis": "none"}, "needs a bus between the processes, but redis is none"),
    ({"redis": "none"}, None),  # the default process count follows: 1 without a bus

    ({"redis": "supervised", "use_supervisor": False}, "but use_supervisor is false"),
    ({"public_port": "9000"}, "collides with the gunicorn port"),
    ({"public_port": "9099"}, "collides with the HAProxy stats port"),
    ({"public_port": "9101"}, "collides with the Socket.IO process 2 port"),
    ({"public_port": "9200"}, "collides with the SockJS process 1 port"),
    ({"public_port": "9379"}, "collides with the redis-server port"),
    ({"public_port": "80"}, "is not a port from 1024 to 65535"),
    ({"public_port": "70000"}, "is not a port from 1024 to 65535"),
    ({"public_port": "http"}, "is not a port from 1024 to 65535"),
    ({"internal_port_base": "65300"}, "is not a port from 1024 to 65156"),
    ({"internal_port_base": "1000"}, "is not a port from 1024 to 65156"),
]


@pytest.mark.parametrize(("answers", "fragment"), REJECTED, ids=[str(a) for a, _ in REJECTED])
def test_pre_gen_rejects_with_one_sentence(tmp_path, answers, fragment):
    result = run_pre_gen(tmp_path, **answers)
    if fragment is None:
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ERROR: ") and fragment in lines[0]
    # The sentence says how to fix it: it names a value to set or a choice to make.
    assert any(word in lines[0] for word in ("set ", "use ", "choose ", "answer ", "pick ")), lines[0]


def test_ports_collisions_only_matter_with_haproxy(tmp_path):
    assert run_pre_gen(tmp_path, public_port="9000", use_haproxy=False).returncode == 0


def test_ports_of_an_unchosen_transport_do_not_collide(tmp_path):
    assert run_pre_gen(tmp_path, public_port="9200", transport="socketio").returncode == 0
    assert run_pre_gen(tmp_path, public_port="9379", redis="external").returncode == 0


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"transport": "websocket"}, "transport 'websocket' is not one of both, socketio, sockjs"),
        ({"redis": "memcached"}, "redis 'memcached' is not one of supervised, external, none"),
        ({"database": "mysql"}, "database 'mysql' is not one of postgresql, sqlite"),
        ({"use_haproxy": "maybe"}, "use_haproxy 'maybe' is not a boolean"),
        ({"include_chat_example": "yes"}, "include_chat_example 'yes' is not a boolean"),
        ({"socket_processes": True}, "socket_processes True is not a whole number"),
    ],
)
def test_pre_gen_guards_values_cookiecutter_would_refuse(tmp_path, overrides, fragment):
    """A replay file or a hand-edited context can carry these; the hook refuses them too."""
    result = run_pre_gen(tmp_path, overrides=overrides)
    assert result.returncode == 1
    assert fragment in result.stderr


@pytest.mark.parametrize(
    "answers",
    [
        {"project_slug": "class"},
        {"socket_processes": "2", "redis": "none"},
        {"redis": "supervised", "use_supervisor": False},
        {"public_port": "9100"},
        {"socket_processes": "99"},
    ],
    ids=["keyword", "processes-without-bus", "supervised-without-supervisor", "port-collision", "processes-range"],
)
def test_rejected_bake_writes_nothing(tmp_path, capfd, answers):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        bake(out, **answers)
    assert [p.name for p in out.iterdir() if p.name != ".cookiecutter"] == []
    assert "ERROR: " in capfd.readouterr().err


@pytest.mark.parametrize(
    ("key", "value"),
    [("transport", "websocket"), ("redis", "memcached"), ("database", "mysql"), ("use_haproxy", "maybe")],
)
def test_cookiecutter_refuses_values_outside_choices(tmp_path, key, value):
    with pytest.raises(ValueError):
        bake(tmp_path, **{key: value})
    assert [p.name for p in tmp_path.iterdir() if p.name != ".cookiecutter"] == []


def test_hostile_name_enters_as_data(tmp_path):
    """Quotes, backslashes, triple quotes and newlines in answers cannot break the rendered hook."""
    hostile = 'Zoë\'s """Café""" \\ \'\'\' \\n \u00e9\n'
    context = context_for(project_name=hostile, description=hostile, author_name=hostile)
    for hook in ("pre_gen_project", "post_gen_project"):
        script = render_hook(hook, context, tmp_path)
        compile(script.read_text(encoding="utf-8"), str(script), "exec")
    result = run_pre_gen(tmp_path, project_name=hostile, description=hostile, author_name=hostile)
    assert result.returncode == 0, result.stderr


def run_post_gen(tmp_path, project, **answers):
    script = render_hook("post_gen_project", context_for(**answers), tmp_path)
    return subprocess.run([sys.executable, str(script)], cwd=project, capture_output=True, text=True, timeout=30)


#: The transport registry the post-gen hook reads to prune: the real one, in every fake tree.
CATALOG = "realtime/transports/catalog.py"


def make_tree(root, paths):
    for path in paths:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((SLUG_DIR / CATALOG).read_text() if path == CATALOG else "x")


TREE = [
    "manage.py",
    "realtime/__init__.py",
    CATALOG,
    "realtime/bus/memory.py",
    "realtime/bus/redis.py",
    "realtime/transports/socketio/server.py",
    "realtime/transports/sockjs/server.py",
    "realtime/management/commands/rungevent.py",
    "realtime/management/commands/runsocket.py",
    "realtime/management/commands/rundev.py",
    "realtime/templatetags/socketio.py",
    "realtime/templatetags/realtime.py",
    "realtime/static/realtime/socket.io.min.js",
    "realtime/static/realtime/socket.io.LICENSE",
    "realtime/static/realtime/sockjs.min.js",
    "realtime/static/realtime/realtime.js",
    "realtime/static/realtime/realtime-socketio.js",
    "realtime/static/realtime/realtime-sockjs.js",
    "realtime/testing/socketio.py",
    "realtime/testing/sockjs/__init__.py",
    "realtime/tests/test_socketio_events.py",
    "realtime/tests/test_sockjs_events.py",
    "realtime/tests/live/test_redis_bus.py",
    "realtime/tests/unit/test_core.py",
    "realtime/tests/unit/test_sockjs_unit.py",
    "realtime/tests/live/test_socketio_protocol.py",
    "realtime/tests/live/test_both_setups.py",
    "realtime/tests/live/redis_signals.py",
    "chat/__init__.py",
    "pingpong/__init__.py",
    "deploy/supervisor.conf",
    "deploy/haproxy.cfg",
    "deploy/redis.conf",
    "realtime/__pycache__/x.pyc",
]


def remaining(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_post_gen_sockjs_only_minimal(tmp_path):
    project = tmp_path / "p"
    make_tree(project, TREE)
    answers = dict(transport="sockjs", redis="none", socket_processes="1", include_chat_example=False,
                   include_pingpong_example=False, use_supervisor=False, use_haproxy=False)
    result = run_post_gen(tmp_path, project, **answers)
    assert result.returncode == 0, result.stderr
    assert remaining(project) == sorted([
        ".env",
        "manage.py",
        "realtime/__init__.py",
        CATALOG,
        "realtime/bus/memory.py",
        "realtime/transports/sockjs/server.py",
        "realtime/management/commands/runsocket.py",
        "realtime/management/commands/rundev.py",
        "realtime/templatetags/realtime.py",
        "realtime/static/realtime/sockjs.min.js",
        "realtime/static/realtime/realtime.js",
        "realtime/static/realtime/realtime-sockjs.js",
        "realtime/testing/sockjs/__init__.py",
        "realtime/tests/test_sockjs_events.py",
        "realtime/tests/unit/test_core.py",
        "realtime/tests/unit/test_sockjs_unit.py",
    ])
    assert not (project / "deploy").exists()
    assert "make run" in result.stdout


def test_post_gen_socketio_external_keeps_redis_bus(tmp_path):
    project = tmp_path / "p"
    make_tree(project, TREE)
    result = run_post_gen(tmp_path, project, transport="socketio", redis="external", use_supervisor=True,
                          use_haproxy=False, include_pingpong_example=False)
    assert result.returncode == 0, result.stderr
    files = remaining(project)
    assert "realtime/bus/redis.py" in files and "realtime/tests/live/test_redis_bus.py" in files
    assert "deploy/redis.conf" not in files and "deploy/haproxy.cfg" not in files
    assert "deploy/supervisor.conf" in files and "chat/__init__.py" in files
    assert not any("sockjs" in f for f in files)
    assert "realtime/static/realtime/socket.io.LICENSE" in files
    # Tests in any tier are found by name: the transport's and Redis's kept, the other's and both's gone.
    assert {"realtime/tests/live/test_socketio_protocol.py", "realtime/tests/live/redis_signals.py"} <= set(files)
    assert "realtime/tests/live/test_both_setups.py" not in files


def test_post_gen_writes_a_fresh_secret_key(tmp_path):
    keys = []
    for i in range(2):
        project = tmp_path / f"p{i}"
        make_tree(project, ["manage.py"])
        assert run_post_gen(tmp_path, project).returncode == 0
        env = dict(
            line.split("=", 1) for line in (project / ".env").read_text().splitlines() if "=" in line
        )
        assert env["DEBUG"] == "true"
        assert len(env["SECRET_KEY"]) >= 50 and len(set(env["SECRET_KEY"])) > 5
        keys.append(env["SECRET_KEY"])
    assert keys[0] != keys[1]


@pytest.mark.parametrize(
    "answers",
    [
        dict(redis="supervised", use_supervisor=True, use_haproxy=True),
        dict(redis="external", use_supervisor=True, use_haproxy=False),
        dict(redis="none", use_supervisor=False, use_haproxy=True),
    ],
)
def test_post_gen_dotenv_is_private_and_holds_the_stack_secrets(tmp_path, answers):
    """``.env`` is 0600 (even over a world-readable one) and has a password per secured service."""
    project = tmp_path / "p"
    make_tree(project, ["manage.py", ".env"])
    (project / ".env").chmod(0o644)
    assert run_post_gen(tmp_path, project, **answers).returncode == 0
    assert (project / ".env").stat().st_mode & 0o777 == 0o600
    env = dict(line.split("=", 1) for line in (project / ".env").read_text().splitlines() if "=" in line)
    assert ("REDIS_PASSWORD" in env) == (answers["redis"] == "supervised")
    assert ("HAPROXY_STATS_PASSWORD" in env) == answers["use_haproxy"]
    secrets = [env[name] for name in ("SECRET_KEY", "REDIS_PASSWORD", "HAPROXY_STATS_PASSWORD") if name in env]
    assert all(len(value) >= 50 and value.replace("-", "").replace("_", "").isalnum() for value in secrets)
    assert len(set(secrets)) == len(secrets)


def test_post_gen_closes_var_to_other_users(tmp_path):
    project = tmp_path / "p"
    make_tree(project, ["manage.py", "var/.gitignore"])
    (project / "var").chmod(0o755)
    assert run_post_gen(tmp_path, project).returncode == 0
    assert (project / "var").stat().st_mode & 0o777 == 0o750


POSTGRES_TREE = [
    "manage.py",
    "realtime/testing/postgres.py",
    "realtime/testing/server.py",
    "realtime/tests/live/test_postgres_latency.py",
    "realtime/tests/pgapp/receivers.py",
    "realtime/tests/unit/test_core.py",
    "chat/tests/test_postgres_outage.py",
    "chat/tests/test_chat_live.py",
]


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_post_gen_keeps_the_postgresql_tests_only_with_postgresql(tmp_path, database):
    project = tmp_path / "p"
    make_tree(project, POSTGRES_TREE)
    result = run_post_gen(tmp_path, project, database=database)
    assert result.returncode == 0, result.stderr
    files = remaining(project)
    postgres = [f for f in POSTGRES_TREE if "postgres" in f or "pgapp" in f]
    assert all((f in files) == (database == "postgresql") for f in postgres), files
    kept = {"realtime/testing/server.py", "realtime/tests/unit/test_core.py", "chat/tests/test_chat_live.py"}
    assert kept <= set(files)
