"""Pure computations behind maintenance work orders.

No Django, no database: plain data in, plain data out, so the rules can be tested exhaustively
and benchmarked on their own (``bench/dispatch.py``).

- :mod:`.dispatch` — hard filters, the weighted engineer score and the optimal backlog
  assignment with capacities;
- :mod:`.sla` — business-calendar clocks (working windows, holidays, 调休 working days, pauses);
- :mod:`.batches` — the defective-batch Poisson test against the fleet baseline.

See ``docs/maintenance-engine.md``.
"""
