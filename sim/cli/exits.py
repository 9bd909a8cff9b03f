"""The exit statuses of ``sim`` (besides 0, success, and 128 + the signal that stopped a batch)."""

EXIT_FAILED_RUNS = 1  # a batch or search completed, but some runs failed (see failures.parquet)
EXIT_BAD_INPUT = 2  # a bad scenario, option or data file, or a refused output folder
EXIT_ENVIRONMENT = 3  # disk full, no permission: the path and how to continue
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE: a bug, never to be confused with failed runs (1) or bad input (2)
