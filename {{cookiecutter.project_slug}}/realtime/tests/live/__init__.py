"""Live tier: real servers (rungevent, runsocket, rundev) in child processes, real clients on the wire."""
