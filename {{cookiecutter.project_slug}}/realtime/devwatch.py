"""Which of the project's files changed: ``manage.py rundev --reload`` restarts its servers then.

Why not Django's own reloader (``runserver``'s)? It lives inside the server
process and watches the modules that process imported, so a server that
cannot start (a syntax error in a receiver, imported by ``django.setup()``)
has nothing left to watch with. ``rundev`` watches from its own process,
which never re-imports the project's code: a broken file stops the servers,
never the watcher, and fixing it brings them back.

It polls the modification times of the project's ``*.py`` (but test
modules) and template files and of ``.env`` (a few hundred files: cheap twice a second; no
dependency, works on every OS and file system). Virtualenvs, dot folders,
caches and collected static files are skipped; static files need no restart
(they are served from disk on every request).
"""

import os
import re
from pathlib import Path

WATCHED_SUFFIXES = (".py", ".html", ".txt", ".mo")
WATCHED_NAMES = (".env",)
#: Test modules: the servers never import them, so editing a test restarts nothing.
TEST_MODULE = re.compile(r"^(test_.*|tests|conftest)\.py$")
SKIPPED_DIRS = {"__pycache__", "node_modules", "staticfiles", "var", "artifacts", "media", "build", "dist"}


class CodeWatcher:
    def __init__(self, root):
        self.root = Path(root)
        self.snapshot = self.scan()

    def scan(self):
        """``{path: (mtime_ns, size)}`` of every watched file under the root."""
        found = {}
        for directory, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [
                d
                for d in dirnames
                if not d.startswith(".")
                and d not in SKIPPED_DIRS
                and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))  # a virtualenv
            ]
            for name in filenames:
                if (name.endswith(WATCHED_SUFFIXES) and not TEST_MODULE.match(name)) or name in WATCHED_NAMES:
                    path = os.path.join(directory, name)
                    try:
                        stat = os.stat(path)
                    except OSError:  # removed while we walked
                        continue
                    found[path] = (stat.st_mtime_ns, stat.st_size)
        return found

    def changed(self):
        """The files added, removed or modified since the last call (relative paths, sorted)."""
        current = self.scan()
        before, self.snapshot = self.snapshot, current
        paths = {p for p in before.keys() | current.keys() if before.get(p) != current.get(p)}
        return sorted(os.path.relpath(p, self.root) for p in paths)
