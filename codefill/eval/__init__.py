"""``codefill eval``: fill-in-the-middle benchmarks run against a codefill server over HTTP."""
