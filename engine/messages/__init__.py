"""Messages to customers and teams: templates, the outbox, delivery."""
