"""Start-up objects leave the garbage collector's full passes (``gc.freeze``).

A server process holds about 87,000 objects once Django, the project and the
libraries are imported (``rungevent``, measured), each connection adds about
90. Python's full (generation 2) collection walks all of them, on the one
thread that also writes to every client: a pause there delays every delivery
of that moment (the benchmark's steady-rate p99). Objects that live as long as
the process need no collecting, so both servers freeze them once, just before
serving: full collections then walk only what came later. Called once per
process; harmless if called again (it only moves more objects).
"""

import gc


def freeze_startup_objects():
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
