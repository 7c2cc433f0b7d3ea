"""Great Expectations suites guarding every mart (see README.md).

``expectations.runner.run_checks(warehouse)`` runs them (``dualcarbon check``); the suites live in
``expectations.suites`` (one module per mart), built from the named checks of ``expectations.checks``.
"""
