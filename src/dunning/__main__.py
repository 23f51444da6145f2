"""``python -m dunning``: the same as the ``dunning`` command."""

from dunning.cli import run

run()
