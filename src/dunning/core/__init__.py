"""The pure core: no I/O, no clock, no randomness, nothing from the shell.

Everything here is a function of its arguments. Its modules import each other, the standard
library and pure packages (pydantic, Babel, Jinja2, holidays), and from outside
`dunning.core` only `dunning.exceptions` (the errors it raises); never the ports, the runner,
the adapters or the CLI (`tests/test_architecture.py` checks it). The public names are
re-exported from `dunning`; import them from there.
"""
