"""``python -m cli …`` runs the ``doleance`` command."""

from cli.main import main

main()
