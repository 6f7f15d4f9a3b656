"""Every combination of the prompts bakes into a project that lints, compiles and passes ``manage.py check``.

The expectations about which files exist follow the path conventions of
CONTRIBUTING.md (a transport's, Redis's, an example's files): for each
convention, whatever the template holds under it must be present when the
answer keeps it and absent when the answer excludes it.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BOOLEANS, SLUG_DIR, all_combinations, bake, combination_id, hook_rules, run_manage

COMBINATIONS = list(all_combinations())
VALID = [answers for answers, valid in COMBINATIONS if valid]
INVALID = [answers for answers, valid in COMBINATIONS if not valid]

# The hook's own prune rules (one copy, in hooks/post_gen_project.py).
PRUNE = hook_rules()

ALWAYS = (
    ".env",
    ".env.example",
    ".gitignore",
    "Makefile",
    "README.md",
    "manage.py",
    "pyproject.toml",
    "realtime/__init__.py",
    "realtime/conf.py",
    "realtime/management/commands/rundev.py",
    "realtime/testing/server.py",
)

# Leftover cookiecutter syntax: any Jinja naming cookiecutter, and Jinja control tags
# that Django templates do not use (Django templates keep their own {% %} legitimately).
LEFTOVER = re.compile(r"\{\{-?\s*cookiecutter|\{%-?\s*[^%]*\bcookiecutter\b|\{%-?\s*(raw|endraw|elif|set|macro)\b|\{#-")
# Files cookiecutter renders (everything outside _copy_without_render) must hold no Jinja at all,
# except documentation quoting Django template tags.
RENDERED_JINJA = re.compile(r"\{\{|\{%|\{#")
COPIED = re.compile(r"^(realtime|chat|pingpong)/|/templates/|\.(js|css|svg)$")
# Images are bytes: copied as they are, never read as text.
BINARY = re.compile(r"\.(png|ico)$")


def template_matches(pattern):
    return [p.relative_to(SLUG_DIR).as_posix() for p in SLUG_DIR.glob(pattern)]


def project_files(project):
    return sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())


def expected_presence(answers):
    """{template path pattern: should it be in the project?}"""
    socketio = answers["transport"] in ("both", "socketio")
    sockjs = answers["transport"] in ("both", "sockjs")
    transports = PRUNE.transport_catalog(SLUG_DIR)
    expectations = {pattern: socketio for pattern in transports["TRANSPORTS"]["socketio"]["files"]}
    expectations.update({pattern: sockjs for pattern in transports["TRANSPORTS"]["sockjs"]["files"]})
    expectations.update({pattern: socketio and sockjs for pattern in transports["EVERY_TRANSPORT_FILES"]})
    expectations.update({pattern: answers["redis"] != "none" for pattern in PRUNE.REDIS_PATHS})
    for example in ("chat", "pingpong"):  # an example's files go with it, whatever else keeps them
        for pattern in expectations:
            if pattern.startswith(example + "/"):
                expectations[pattern] = expectations[pattern] and answers[f"include_{example}_example"]
    expectations["deploy/redis.conf"] = answers["redis"] == "supervised"
    expectations.update({pattern: answers["database"] == "postgresql" for pattern in PRUNE.POSTGRES_PATHS})
    expectations["chat/tests/test_postgres*.py"] = (
        answers["database"] == "postgresql" and answers["include_chat_example"]
    )
    expectations["chat"] = answers["include_chat_example"]
    expectations["pingpong"] = answers["include_pingpong_example"]
    expectations["deploy/supervisor.conf"] = answers["use_supervisor"]
    expectations["deploy/haproxy.cfg"] = answers["use_haproxy"]
    return expectations


@pytest.fixture(scope="module")
def bakery(tmp_path_factory):
    """Bake each combination once per module (several tests read the same bake)."""
    baked = {}

    def get(answers):
        key = combination_id(answers)
        if key not in baked:
            baked[key] = bake(tmp_path_factory.mktemp(key), **answers)
        return baked[key]

    return get


def test_every_combination_is_enumerated():
    assert len(COMBINATIONS) == 3 * 3 * 2 ** len(BOOLEANS)
    assert len(INVALID) == 3 * 2 ** (len(BOOLEANS) - 1)  # redis=supervised without supervisor


@pytest.mark.parametrize("answers", INVALID, ids=[combination_id(a) for a in INVALID])
def test_invalid_combination_is_rejected(tmp_path, answers):
    from cookiecutter.exceptions import FailedHookException

    with pytest.raises(FailedHookException):
        bake(tmp_path, **answers)
    assert [p.name for p in tmp_path.iterdir() if p.name != ".cookiecutter"] == []


@pytest.mark.parametrize("answers", VALID, ids=[combination_id(a) for a in VALID])
def test_combination(bakery, answers):
    project = bakery(answers)
    files = project_files(project)
    slug = project.name

    # Expected files present, excluded absent.
    for path in ALWAYS + tuple(f"{slug}/{name}" for name in ("settings.py", "urls.py", "wsgi.py", "views.py")):
        assert path in files, f"{path} missing"
    for pattern, wanted in expected_presence(answers).items():
        for path in template_matches(pattern):
            assert (project / path).exists() == wanted, f"{path}: expected {'present' if wanted else 'absent'}"
    if not any(answers[flag] for flag in ("use_supervisor", "use_haproxy")) and answers["redis"] != "supervised":
        deploy = project / "deploy"
        assert not deploy.exists() or any(deploy.iterdir())

    # Images arrive byte for byte (the README shows docs/*.png), and stay small.
    for path in files:
        if BINARY.search(path):
            data = (project / path).read_bytes()
            assert data == (SLUG_DIR / path).read_bytes(), f"{path} was altered by the bake"
            assert len(data) < 150_000, f"{path} is {len(data)} bytes: keep images under 150 KB"
    assert {"docs/landing.png", "docs/dashboard.png"} <= set(files)
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "(docs/landing.png)" in readme and "(docs/dashboard.png)" in readme
    files = [path for path in files if not BINARY.search(path)]

    # No leftover template syntax anywhere, and none at all in rendered files.
    for path in files:
        text = (project / path).read_text(encoding="utf-8", errors="replace")
        assert not LEFTOVER.search(text), f"leftover cookiecutter syntax in {path}: {LEFTOVER.search(text)[0]!r}"
        if not COPIED.search(path) and path != "README.md":
            assert not RENDERED_JINJA.search(text), f"template syntax left in {path}"
        assert "{{" not in path and "{%" not in path

    # Without Redis, not one mention of it.
    if answers["redis"] == "none":
        for path in files:
            assert "redis" not in path.lower(), path
            text = (project / path).read_text(encoding="utf-8", errors="replace").lower()
            assert "redis" not in text, f"{path} mentions redis"

    # With SQLite, nothing of PostgreSQL: no driver, no settings; the README says in one line how to switch.
    if answers["database"] == "sqlite":
        for path in files:
            text = (project / path).read_text(encoding="utf-8", errors="replace").lower()
            assert "psycopg" not in text and "postgres" not in path.lower(), path
            lines = [line for line in text.splitlines() if "postgres" in line]
            assert len(lines) <= (1 if path == "README.md" else 0), f"{path} mentions PostgreSQL: {lines}"
    else:
        assert '"psycopg[binary,pool]' in (project / "pyproject.toml").read_text()

    # Python compiles (without writing bytecode).
    for path in files:
        if path.endswith(".py"):
            compile((project / path).read_bytes(), path, "exec")

    # ruff, with the project's own configuration.
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=project, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr

    # manage.py check, then what the settings and the landing page say.
    check = run_manage(project, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    probe = run_manage(project, "shell", "-c", PROBE)
    assert probe.returncode == 0, probe.stdout + probe.stderr
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    transports = {"both": ["socketio", "sockjs"], "socketio": ["socketio"], "sockjs": ["sockjs"]}
    assert seen["transports"] == transports[answers["transport"]]
    assert ("chat" in seen["apps"]) == answers["include_chat_example"]
    assert ("pingpong" in seen["apps"]) == answers["include_pingpong_example"]
    assert seen["bus"] is None  # REDIS_URL unset: the in-memory bus, whatever the redis answer
    assert seen["home"] == 200 and seen["healthz"] == 200
    assert ('href="/chat/"' in seen["page"]) == answers["include_chat_example"]
    assert ('href="/pingpong/"' in seen["page"]) == answers["include_pingpong_example"]
    assert "<title>Realtime Site</title>" in seen["page"] and "<h1>Realtime Site</h1>" in seen["page"]
    assert 'href="/realtime/"' in seen["page"] and 'href="/admin/"' in seen["page"]
    assert "site/favicon.svg" in seen["page"] and "site/site.css" in seen["page"]
    assert seen["favicon"] == 302 and seen["icon"] == 200


PROBE = """
import json
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
home = client.get("/")
print(json.dumps({
    "transports": settings.REALTIME_TRANSPORTS,
    "apps": settings.INSTALLED_APPS,
    "bus": getattr(settings, "REALTIME_BUS_BACKEND", None),
    "home": home.status_code,
    "page": home.content.decode(),
    "healthz": client.get("/healthz").status_code,
    "favicon": client.get("/favicon.ico").status_code,
    "icon": client.get(client.get("/favicon.ico")["Location"]).status_code,
}))
"""


def test_production_settings_pass_check_deploy(tmp_path):
    project = bake(tmp_path, redis="external")
    (project / ".env").unlink()
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "x" * 10 + "-production-secret-with-enough-different-characters-0123456789",
        "ALLOWED_HOSTS": "example.com",
        "CSRF_TRUSTED_ORIGINS": "https://example.com",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = run_manage(project, "check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    # Not one warning, not even a silenced one, and nothing else printed.
    assert result.stdout.strip() == "System check identified no issues (0 silenced).", result.stdout + result.stderr
    assert "WARNING" not in result.stderr.upper(), result.stderr
    # Every production value above is documented where a deployer looks for it.
    documented = (project / ".env.example").read_text() + (project / "README.md").read_text()
    for name in env:
        assert name in documented, f"{name} is not documented in .env.example or README.md"
    probe = run_manage(project, "shell", "-c", "from django.conf import settings; print(settings.REALTIME_BUS_BACKEND)",
                       env=env)
    assert probe.stdout.strip().splitlines()[-1] == "realtime.bus.redis.RedisBus", probe.stderr


def test_missing_secret_key_fails_clearly_in_production(tmp_path):
    project = bake(tmp_path, transport="socketio", redis="none", socket_processes=1)
    (project / ".env").unlink()
    result = run_manage(project, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_dotenv_never_overrides_the_environment(tmp_path):
    project = bake(tmp_path, transport="sockjs", redis="none", socket_processes=1)
    with (project / ".env").open("a") as env_file:
        env_file.write("TIME_ZONE=Europe/Paris\nLOG_LEVEL='DEBUG'\n")
    code = "from django.conf import settings; print(settings.TIME_ZONE, settings.LOG_LEVEL, settings.DEBUG)"
    result = run_manage(project, "shell", "-c", code, env={"TIME_ZONE": "Asia/Tokyo"})
    assert result.stdout.strip().splitlines()[-1].split() == ["Asia/Tokyo", "DEBUG", "True"], result.stderr


def test_generated_files_are_never_tracked_secrets(tmp_path):
    project = bake(tmp_path)
    assert ".env" in (project / ".gitignore").read_text().splitlines()
    key = next(line for line in (project / ".env").read_text().splitlines() if line.startswith("SECRET_KEY="))
    for path in project_files(project):
        if path != ".env":
            assert key.split("=", 1)[1] not in (project / path).read_text(errors="replace"), path


def test_hostile_names_bake_and_check(tmp_path):
    name = 'Zoë\'s "Ünïcode" \\ Café'
    project = bake(tmp_path, project_name=name, description=name + ' """x"""', author_name=name,
                   transport="socketio", redis="none", socket_processes=1, include_chat_example=False,
                   include_pingpong_example=False, use_supervisor=False, use_haproxy=False)
    assert project.name == "zoe_s_unicode_cafe"
    assert name in (project / "README.md").read_text(encoding="utf-8")
    import tomllib

    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["description"] == name + ' """x"""' and meta["authors"][0]["name"] == name
    result = run_manage(project, "check")
    assert result.returncode == 0, result.stderr
    page = run_manage(project, "shell", "-c", "from django.test import Client; "
                      "print(Client(HTTP_HOST='127.0.0.1').get('/').content.decode())")
    assert page.returncode == 0, page.stderr
    from markupsafe import escape  # what cookiecutter's Jinja |e writes

    escaped = str(escape(name))
    assert f"<title>{escaped}</title>" in page.stdout and f"<h1>{escaped}</h1>" in page.stdout
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=project,
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize("answers", [
    dict(transport="both", redis="supervised"),  # the richest: every module of realtime.testing
    dict(transport="sockjs", redis="none", include_chat_example=False, include_pingpong_example=False),
], ids=["richest", "sockjs-minimal"])
def test_public_api_type_hints_check(tmp_path, answers):
    """`make lint`'s mypy step ([tool.mypy] of the project) passes, with real errors if a hint is wrong."""
    project = bake(tmp_path, **answers)
    cache = ["--cache-dir", str(tmp_path / "mypy-cache")]
    check = subprocess.run([sys.executable, "-m", "mypy", *cache], cwd=project, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Success: no issues found" in check.stdout
    # The check has teeth: a wrong hint on the public API fails it.
    sockets = project / "realtime" / "sockets.py"
    wrong = sockets.read_text().replace("def join(self, room: str) -> None:", "def join(self, room: str) -> int:")
    sockets.write_text(wrong)
    broken = subprocess.run([sys.executable, "-m", "mypy", *cache], cwd=project, capture_output=True, text=True)
    assert broken.returncode == 1 and "realtime/sockets.py" in broken.stdout, broken.stdout
    assert "lint: install\n\t$(BIN)/ruff check .\n\t$(BIN)/mypy\n" in (project / "Makefile").read_text()


def test_make_test_runs_the_unit_tier_first_then_the_rest_once(tmp_path):
    """`make test` = the fast tier (realtime/tests/unit), then everything else: together, every test once."""
    project = bake(tmp_path, transport="sockjs", redis="none", include_chat_example=False,
                   include_pingpong_example=False, use_supervisor=False, use_haproxy=False)
    dry = subprocess.run(["make", "-n", "test", "BIN=bin"], cwd=project, capture_output=True, text=True)
    steps = [line.split("-m pytest", 1)[1].split() for line in dry.stdout.splitlines() if "-m pytest" in line]
    assert steps == [["realtime/tests/unit"], ["--ignore=realtime/tests/unit"]], dry.stdout + dry.stderr

    def collected(*args):
        result = run_pytest_collect(project, *args)
        return {line for line in result.splitlines() if "::" in line}

    unit, rest, everything = collected(*steps[0]), collected(*steps[1]), collected()
    assert unit and rest and not unit & rest and unit | rest == everything
    assert all(test.startswith("realtime/tests/unit/") for test in unit)


def run_pytest_collect(project, *args):
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                            cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


#: "The seed" was this project's private name for django-realtime and Django Client Signals; shipped
#: text names them (the generated README says once which names come from which). A random seed
#: (the fuzz tests' REALTIME_FUZZ_SEED) is another word.
SEED_VOCABULARY = re.compile(r"\bthe seed\b|\bseed's|\bseed (README|wire|bug)|seedapp|\bseed_(ack|server)", re.I)
#: Still saying it in files other work is rewriting: remove each line once merged (the test says when).
SEED_NOT_YET: set[str] = set()


def test_shipped_text_names_the_earlier_libraries_not_the_seed():
    found = {}
    for path in sorted(SLUG_DIR.rglob("*")):
        name = path.relative_to(SLUG_DIR).as_posix()
        if path.is_file() and not BINARY.search(name) and not name.endswith(".min.js"):
            lines = [n for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
                     if SEED_VOCABULARY.search(line)]
            if lines:
                found[name] = lines
    assert set(found) <= SEED_NOT_YET, {name: found[name] for name in set(found) - SEED_NOT_YET}
    assert found.keys() == SEED_NOT_YET, f"no longer there, remove from SEED_NOT_YET: {SEED_NOT_YET - found.keys()}"
    readme = (SLUG_DIR / "README.md").read_text()
    assert "django-realtime" in readme and "Django Client Signals" in readme and "session_id" in readme


def test_derived_ports_are_in_the_context(tmp_path):
    project = bake(tmp_path, internal_port_base=12000, redis="supervised")
    assert "REDIS_URL=redis://:<REDIS_PASSWORD>@127.0.0.1:12379/0" in (project / ".env.example").read_text()
    replay = json.loads(next((tmp_path / ".cookiecutter" / "replay").glob("*.json")).read_text())["cookiecutter"]
    assert {k: replay[k] for k in ("__gunicorn_port", "__haproxy_stats_port", "__socketio_port_base",
                                   "__sockjs_port_base", "__redis_port")} == {
        "__gunicorn_port": "12000",
        "__haproxy_stats_port": "12099",
        "__socketio_port_base": "12100",
        "__sockjs_port_base": "12200",
        "__redis_port": "12379",
    }


def test_transport_entry_points_exist_in_the_template():
    """The pruning conventions only mean something if each transport's files are where they say."""
    assert template_matches("realtime/management/commands/rungevent.py")
    assert template_matches("realtime/management/commands/runsocket.py")
    assert template_matches("realtime/bus/redis.py")


def test_cli_overrides_are_typed_and_echoed(tmp_path):
    """``cookiecutter . --no-input key=value``: strings become booleans and every key lands in the context."""
    from tests.conftest import TEMPLATE_DIR, cookiecutter_config

    overrides = {
        "project_name": "Cli Site",
        "transport": "sockjs",
        "redis": "external",
        "use_haproxy": "false",
        "use_supervisor": "y",
        "include_chat_example": "n",
        "include_pingpong_example": "true",
        "socket_processes": "3",
        "public_port": "8080",
        "internal_port_base": "10000",
    }
    config = cookiecutter_config(tmp_path / "cc")
    cli = Path(sys.executable).with_name("cookiecutter")
    result = subprocess.run(
        [str(cli), str(TEMPLATE_DIR), "--no-input", "-o", str(tmp_path / "out"), "--config-file", str(config),
         *[f"{k}={v}" for k, v in overrides.items()]],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    replay = json.loads(next((tmp_path / "cc" / "replay").glob("*.json")).read_text())["cookiecutter"]
    typed = {"true": True, "y": True, "false": False, "n": False}
    for key, value in overrides.items():
        assert key in replay, f"override {key} is not a template variable (cookiecutter ignores it silently)"
        assert replay[key] == typed.get(value, value), key
    project = tmp_path / "out" / "cli_site"
    assert not (project / "deploy" / "haproxy.cfg").exists() and not (project / "chat").exists()
    assert (project / "pingpong").is_dir()
    assert 'REALTIME_TRANSPORTS = ["sockjs"]' in (project / "cli_site" / "settings.py").read_text()


ENV_READ = re.compile(r'(?:os\.environ\.get|os\.environ\[|env_bool|env_int|env_list)\(?\s*\(?"([A-Z_][A-Z0-9_]*)"')


@pytest.mark.parametrize("redis", ["supervised", "none"])
def test_every_environment_variable_is_documented(tmp_path, redis):
    """Each variable settings.py reads is in .env.example and in the README's settings table."""
    project = bake(tmp_path, redis=redis, socket_processes=1)
    slug = project.name
    names = set(ENV_READ.findall((project / slug / "settings.py").read_text())) | {"DATABASE_URL"}
    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"} <= names
    example = (project / ".env.example").read_text()
    readme = (project / "README.md").read_text()
    for name in sorted(names):
        assert re.search(rf"^#?\s*{name}=", example, re.M), f"{name} is not in .env.example"
        assert f"`{name}`" in readme, f"{name} is not in the README"
    assert ("REDIS_URL" in names) == (redis != "none")
