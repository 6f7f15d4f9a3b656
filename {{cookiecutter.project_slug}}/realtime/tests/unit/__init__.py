"""Fast tier: in-process tests (no server, no browser); `make test` runs them first, `make test-fast` alone."""
