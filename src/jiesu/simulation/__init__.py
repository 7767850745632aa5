"""Discrete-event simulation of the 12345 case life (intake → dispatch → units → callback).

Public entry points: :func:`simulate` (the case life; Parquet and a summary), :func:`load_scenario`,
:func:`built_in_scenarios`, and the queue pieces :func:`fifo_starts` and :func:`erlang_c`.
"""

from .queue import ErlangC, erlang_c, fifo_starts
from .run import Summary, simulate, to_table
from .scenario import DEFAULTS, Scenario, built_in_scenarios, load_scenario

__all__ = ["DEFAULTS", "ErlangC", "Scenario", "Summary", "built_in_scenarios", "erlang_c",
           "fifo_starts", "load_scenario", "simulate", "to_table"]
