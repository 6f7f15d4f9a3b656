"""The README's guide shows real code: its marked code blocks equal the files that ``make test`` runs.

A block follows a ``<!-- guide: <path> -->`` line; ``realtime/tests/guideapp/``
holds the files (its ``tests.py`` is collected like any app's tests). Edit
the file, then paste it into the README (or the other way round): this test
fails until both say the same.
"""

import re
import time
from pathlib import Path

from django.conf import settings
from realtime import conf

BLOCK = re.compile(r"^<!-- guide: (?P<path>\S+) -->\n```\w+\n(?P<code>.*?)\n```$", re.M | re.S)
GUIDE = "realtime/tests/guideapp/"
GUIDE_FILES = {GUIDE + "receivers.py", GUIDE + "tests.py", GUIDE + "templates/guideapp/shout.html"}


def guide_blocks():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    return [(m["path"], m["code"]) for m in BLOCK.finditer(readme)]


def test_the_readme_shows_every_guide_file():
    assert sorted(path for path, _ in guide_blocks()) == sorted(GUIDE_FILES)


def test_each_guide_block_equals_its_file():
    for path, code in guide_blocks():
        source = (Path(settings.BASE_DIR) / path).read_text(encoding="utf-8").rstrip("\n")
        assert code == source, f"README.md's block for {path} differs from the file: copy one over the other"


def test_the_guide_page_joins_and_is_refused_in_a_browser():
    """The guide's template, rendered as a view would, against a live server with the guide's receivers."""
    from django.template import Context, Template

    from realtime.testing import LiveServer
    from realtime.testing.browser import chromium

    page_html = Template((Path(settings.BASE_DIR) / GUIDE / "templates/guideapp/shout.html").read_text()).render(
        Context({})
    )
    transport = conf.transports()[0]  # what Realtime.connect() picks
    args = ["--django"] if transport == "sockjs" else []
    with LiveServer.for_transport(transport, args=args, extra_apps=["realtime.tests.guideapp"]) as server:
        with chromium() as browser:
            logs, errors = [], []
            for opened in (1, 2):  # the second "ann" is refused
                page = browser.new_page()
                page.on("console", lambda m: logs.append((m.type, m.text)))
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(server.url + "/healthz")  # the server's origin, for the scripts and the socket
                page.set_content(page_html)
                deadline = time.monotonic() + 15
                while len([text for _, text in logs if text.startswith(("here:", "name_taken"))]) < opened:
                    assert time.monotonic() < deadline, logs
                    page.wait_for_timeout(100)
            assert ("log", "here: ann") in logs
            assert any(kind == "warning" and text.startswith("name_taken 'ann' is already here") for kind, text in logs)
            assert errors == []
