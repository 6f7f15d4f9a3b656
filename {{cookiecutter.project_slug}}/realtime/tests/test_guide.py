"""The README's guide shows real code: its marked code blocks equal the files that ``make test`` runs.

A block follows a ``<!-- guide: <path> -->`` line; ``realtime/tests/guideapp/``
holds the files (its ``tests.py`` is collected like any app's tests). Edit
the file, then paste it into the README (or the other way round): this test
fails until both say the same.
"""

import re
from pathlib import Path

from django.conf import settings

BLOCK = re.compile(r"^<!-- guide: (?P<path>\S+) -->\n```python\n(?P<code>.*?)\n```$", re.M | re.S)
GUIDE_FILES = {"realtime/tests/guideapp/receivers.py", "realtime/tests/guideapp/tests.py"}


def guide_blocks():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    return [(m["path"], m["code"]) for m in BLOCK.finditer(readme)]


def test_the_readme_shows_every_guide_file():
    assert sorted(path for path, _ in guide_blocks()) == sorted(GUIDE_FILES)


def test_each_guide_block_equals_its_file():
    for path, code in guide_blocks():
        source = (Path(settings.BASE_DIR) / path).read_text(encoding="utf-8").rstrip("\n")
        assert code == source, f"README.md's block for {path} differs from the file: copy one over the other"
