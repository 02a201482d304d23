"""Helpers shared by the tests and benchmarks: apps, accounts, databases, browsers, sample data.

Imported as `support.<module>`: pytest puts tests/ on sys.path (the root conftest's folder, in its default
`prepend` import mode), and the benchmark scripts add it themselves.
"""
