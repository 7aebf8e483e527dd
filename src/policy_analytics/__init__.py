"""Review-trigger indicators and governor reports for a school's staff social media policy.

The Python API (documented in docs/analysts/python-api.md):

    import policy_analytics as pa
    wh = pa.connect()                      # the warehouse and settings the CLI would use
    wh.indicators(term="2025-26-autumn")   # the JSON of `policy-analytics indicators`, as a dict
    wh.indicators_frame(year="2025-26")    # the same as a tidy DataFrame: period, school, metric, value, unit
    wh.schools(), wh.terms("2025-26"), wh.load(["incidents.csv"]), wh.sql("SELECT ...")

Each call opens the warehouse for that call only, so an open notebook never blocks a load. (The questions
are methods of the connection: `policy_analytics.indicators` and `policy_analytics.load` name modules.)
"""

__version__ = "0.1.0"

from policy_analytics.api import Warehouse, connect, find_warehouse  # noqa: E402 - after the version

__all__ = ["Warehouse", "connect", "find_warehouse"]
