"""What every use case shares: documents (more to come: the unit of work)."""
