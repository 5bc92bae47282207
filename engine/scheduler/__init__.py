"""Background work in its own process(es): timers and the outbox."""
