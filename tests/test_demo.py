"""``make demo`` keeps the user's demo: the template's real Makefile, run several times.

The template is copied to a temporary folder (the test changes it, as a
``git pull`` would), the Makefile runs with this venv's Python (a wrapper
stands in for ``.venv``, so nothing is installed) and ``SERVE=true`` in
place of serving, which ``make run`` would do forever.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEMPLATE_DIR, child_env

COPIED = ("cookiecutter.json", "hooks", "{{cookiecutter.project_slug}}", "scripts", "Makefile", "requirements-dev.txt")
IGNORED = shutil.ignore_patterns("__pycache__", ".env", "db.sqlite3", "staticfiles", "artifacts", ".venv")


def copy_template(target):
    target.mkdir()
    for name in COPIED:
        source = TEMPLATE_DIR / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=IGNORED)
        else:
            shutil.copy2(source, target / name)
    venv = target / ".venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (venv / ".installed").touch()  # newer than requirements-dev.txt: make installs nothing
    return target


def make(template, *targets):
    result = subprocess.run(
        ["make", "--no-print-directory", *targets, "SERVE=true"],
        cwd=template,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_make_demo_reuses_updates_or_protects_the_demo(tmp_path):
    template = copy_template(tmp_path / "template")
    project = template / "build" / "realtime_site"
    readme = template / "{{cookiecutter.project_slug}}" / "README.md"

    # 1. A fresh machine: one command bakes (and would serve).
    out = make(template, "demo")
    assert "baked the template into build/realtime_site" in out, out
    assert (project / "manage.py").is_file() and "Next steps" not in out
    # The user plays: a database with their superuser, a new app, the generated .env.
    (project / "db.sqlite3").write_text("the user's data")
    (project / "shout").mkdir()
    (project / "shout" / "tests.py").write_text("# the user's app\n")
    dotenv = (project / ".env").read_text()
    pyproject_mtime = (project / "pyproject.toml").stat().st_mtime_ns

    # 2. Again, template unchanged: everything reused as it is.
    out = make(template, "demo")
    assert "reusing build/realtime_site" in out, out
    assert (project / "db.sqlite3").read_text() == "the user's data"
    assert (project / ".env").read_text() == dotenv

    # 3. The template changed, the user edited none of its files: updated in place, data kept.
    readme.write_text(readme.read_text() + "\nA line the template added.\n")
    out = make(template, "demo")
    assert "updated 1 file(s) of build/realtime_site" in out, out
    assert (project / "README.md").read_text().endswith("A line the template added.\n")
    assert (project / "db.sqlite3").read_text() == "the user's data"
    assert (project / "shout" / "tests.py").read_text() == "# the user's app\n"
    assert (project / ".env").read_text() == dotenv
    assert (project / "pyproject.toml").stat().st_mtime_ns == pyproject_mtime  # venv not reinstalled

    # 4. The template changed again, and this time the user edited one of its files: nothing touched.
    views = project / "manage.py"
    views.write_text(views.read_text() + "# the user's edit\n")
    readme.write_text(readme.read_text() + "Another template change.\n")
    out = make(template, "demo")
    assert "NOT updated" in out and "manage.py" in out and "make demo-clean" in out, out
    assert views.read_text().endswith("# the user's edit\n")
    assert "Another template change." not in (project / "README.md").read_text()
    assert (project / "db.sqlite3").read_text() == "the user's data"
    # ...and it stays protected on the next run too (the manifest still describes the old bake).
    assert "NOT updated" in make(template, "demo")

    # 5. Asked for: demo-clean, then a fresh bake with the new template.
    make(template, "demo-clean")
    assert not project.exists()
    out = make(template, "demo")
    assert "baked the template" in out, out
    assert "Another template change." in (project / "README.md").read_text()
    assert not (project / "db.sqlite3").exists() and not (project / "shout").exists()
    assert Path(template / "build" / ".realtime_site.json").is_file()
