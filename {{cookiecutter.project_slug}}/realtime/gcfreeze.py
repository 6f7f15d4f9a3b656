"""Start-up objects leave the garbage collector's full passes, and full passes get rarer.

A server process holds about 87,000 objects once Django, the project and the
libraries are imported (``rungevent``, measured), each connection adds about
90. Python's full (generation 2) collection walks all of them, on the one
thread that also writes to every client: a pause there delays every delivery
of that moment (the benchmark's steady-rate p99). Measured with ``gc.callbacks``
on ``rungevent`` holding 1,000 clients during the benchmark's burst and steady
phases (a shared machine): full collections of 36-106 ms, finding almost no
garbage, every few seconds.

So both servers, once, just before serving: freeze what start-up created
(objects that live as long as the process need no collecting), and raise the
thresholds so that short-lived message objects rarely survive into older
generations and full passes come ten times less often (after that change, no
full collection ran in the same phases; young ones took 2-5 ms). Cyclic garbage
is still collected, a little later. Harmless if called again.
"""

import gc

#: (generation 0 allocations, generation 1 and 2 collection counts); Python's default is (700, 10, 10).
THRESHOLDS = (10_000, 50, 100)


def freeze_startup_objects():
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
