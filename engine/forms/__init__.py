"""Form files -> validated task data."""
