"""The business calendar, the organisation's policy, deadline clocks."""
