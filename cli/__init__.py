"""The operator's adapter: the ``doleance`` commands, over the same use cases as the web UI."""
