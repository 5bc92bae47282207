"""The business calendar, the organisation's policy, deadline clocks.

Public modules: ``business_calendar`` (days, closing days, opening hours, time zones),
``deadlines`` (rules, presets, the rule book: due and warning instants with pauses),
``policy`` (``policy.toml`` read into a policy and its rule book), ``clocks`` (where each clock
of a complaint stands). ``closures``, ``hours`` and ``timeline`` are their building blocks.
"""
