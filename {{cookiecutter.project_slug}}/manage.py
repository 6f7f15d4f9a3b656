#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    if sys.argv[1:2] == ["rungevent"]:
        # gevent must patch the standard library before Django (or any client library) imports it.
        from gevent import monkey

        monkey.patch_all()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.settings")
    if sys.argv[1:2] == ["rundev"]:
        # Like runserver, rundev starts even while an app's code is broken (see its main()).
        from realtime.management.commands.rundev import main as rundev

        return rundev(sys.argv)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
