"""`make bench`: OpenPCM's benchmark harness (PostgreSQL only).

It builds a data set at a given scale in a dedicated database, runs named scenarios in-process with
Django's test client, counts the queries of every request, and prints and saves the figures
(median and p95 latency, queries per request, throughput). See docs/benchmarks.md.

- `bench.database`: which database, creating it, refusing SQLite and databases that hold other data.
- `bench.dataset`: the data set (partners, tiers, hierarchy, channel managers, the personas).
- `bench.scenarios`: the named scenarios and the runner.
- `bench.report`: statistics, the table, machine information, the JSON file.

This module imports nothing from Django models, so that `python -m bench` can choose the database
before Django is set up.
"""
