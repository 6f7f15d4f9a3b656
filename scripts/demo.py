"""``make demo``'s first half: bake the default project once, then keep it.

The demo is the user's: its database (the superuser they created, the chat
history), its ``.env`` and virtualenv, and any edit they made while trying
the template. So:

* no demo yet: bake it into ``<dir>/realtime_site``;
* the template would bake exactly the same files: reuse it untouched;
* the template changed and the user edited none of the files it baked:
  update those files in place (only the ones that differ); the database,
  ``.env``, virtualenv and any file the user added are kept;
* the template changed and the user edited some of its files: touch
  nothing, say which files and how to get the new template.

How a change is detected: every run bakes the template into a temporary
folder (about a second) and compares the files' SHA-256 with the manifest
saved next to the demo at its last bake (``<dir>/.realtime_site.json``).
Comparing what would be baked, not the template's own files, ignores
whatever has no effect on the project (the template's tests, caches).
``.env`` is never compared or rewritten: the hook writes a new random
``SECRET_KEY`` into every bake.

Usage: ``python scripts/demo.py [dir]`` (default ``build``); exit 0 when the
demo is ready to serve, 1 on a failed bake.
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
SLUG = "realtime_site"
NOT_COMPARED = {".env"}


def bake(output_dir):
    """Bake with the defaults into ``output_dir``; the hook's "next steps" (about a temporary folder) are
    kept out of the terminal, and shown only if the bake fails."""
    from cookiecutter.main import cookiecutter

    output_dir = Path(output_dir)
    config = output_dir / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(output_dir / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(output_dir / 'replay'))}\n"
    )
    with open(output_dir / "bake.log", "w+") as log:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(log.fileno(), 1)  # the hook is a child process: only a file descriptor reaches it
        try:
            return Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output_dir / "out"),
                                     config_file=str(config)))
        except BaseException:
            log.seek(0)
            sys.stderr.write(log.read())
            raise
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_of(project):
    return {
        path.relative_to(project).as_posix(): digest(path)
        for path in sorted(project.rglob("*"))
        if path.is_file() and path.relative_to(project).as_posix() not in NOT_COMPARED
    }


def edited_files(project, baked):
    """The baked files the user changed or removed since the last bake."""
    return [rel for rel, sha in baked.items() if not (project / rel).is_file() or digest(project / rel) != sha]


def update(project, fresh, old, new):
    """Write the files that differ, remove the ones the template dropped; returns how many changed."""
    changed = 0
    for rel, sha in new.items():
        target = project / rel
        if target.is_file() and digest(target) == sha:
            continue  # untouched: its mtime stays, so make does not reinstall or rebuild for nothing
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(fresh / rel, target)
        changed += 1
    for rel in old.keys() - new.keys():
        (project / rel).unlink(missing_ok=True)
        changed += 1
        parent = (project / rel).parent
        while parent != project and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return changed


def listing(paths, limit=5):
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def main(demo_dir):
    demo_dir = Path(demo_dir)
    project = demo_dir / SLUG
    manifest_path = demo_dir / f".{SLUG}.json"
    demo_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="demo-bake-", dir=demo_dir) as scratch:
        fresh = bake(scratch)
        new = manifest_of(fresh)
        if not project.exists():
            shutil.move(str(fresh), str(project))
            manifest_path.write_text(json.dumps({"files": new}, indent=1))
            print(f"demo: baked the template into {project} (`make demo` reuses it; `make demo-clean` removes it).")
            return 0
        if not manifest_path.is_file():
            print(
                f"demo: {project} exists but was not baked by `make demo` (no {manifest_path.name}): serving it "
                "as it is. `make demo-clean` replaces it with a fresh bake (its database and edits are lost)."
            )
            return 0
        old = json.loads(manifest_path.read_text())["files"]
        if new == old:
            print(f"demo: reusing {project}: its database, superuser, .env, venv and your edits are kept "
                  "(`make demo-clean` starts over).")
            return 0
        edited = edited_files(project, old)
        if edited:
            print(
                f"demo: the template changed since {project} was baked, but you edited {listing(edited)} there, "
                "so it was NOT updated: serving your demo as it is. To see the new template, bake it next to "
                f"yours (`make demo DEMO_DIR={demo_dir}/next`), or save your edits and `make demo-clean` "
                "(which also erases the demo's database)."
            )
            return 0
        changed = update(project, fresh, old, new)
        manifest_path.write_text(json.dumps({"files": new}, indent=1))
        print(f"demo: the template changed: updated {changed} file(s) of {project}; its database, superuser, "
              ".env, venv and the files you added are kept.")
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
