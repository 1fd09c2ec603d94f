"""``python -m reluscope`` runs the command line."""

from reluscope.cli import run

run()
