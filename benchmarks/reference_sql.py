"""The reference engine's query for ``score --by unit``, written once for every benchmark.

Dispatched cases with a valid callback, not excluded for one of the profile's removal reasons,
counted by the month of the callback in ``{local}`` (a DuckDB expression giving the callback's
local time) and unit: the counts, the three rates and the composite (Beijing's illustrative
weights 0.1 / 0.5 / 0.4, 0.9 for basically satisfied). Columns: m (YYYY-MM), unit, n,
n_contacted, n_resolved, n_satisfied, n_basically, the three rates, composite.
"""

BEIJING_CALLBACK = "timezone('Asia/Shanghai', callback_at)"

SCORE_BY_UNIT = """
    SELECT strftime({local}, '%Y-%m') AS m, unit,
           count(*) AS n,
           count(*) FILTER (WHERE contacted) AS n_contacted,
           count(*) FILTER (WHERE resolved) AS n_resolved,
           count(*) FILTER (WHERE satisfaction = 'satisfied') AS n_satisfied,
           count(*) FILTER (WHERE satisfaction = 'basically_satisfied') AS n_basically,
           n_contacted / n AS response_rate, n_resolved / n AS resolution_rate,
           (n_satisfied + 0.9 * n_basically) / n AS satisfaction_rate,
           100 * (0.1 * response_rate + 0.5 * resolution_rate + 0.4 * satisfaction_rate) AS composite
    FROM read_parquet(?)
    WHERE disposition = 'dispatched' AND callback_valid AND callback_at IS NOT NULL
      AND NOT (coalesce(excluded, false) AND coalesce(exclusion_reason IN
               ('objection_upheld', 'unreasonable', 'duplicate', 'other'), false))
    GROUP BY ALL ORDER BY m, unit
"""
