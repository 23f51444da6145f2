"""The pure core: no I/O, no clock, no randomness, no imports from outside `dunning.core`.

Everything here is a function of its arguments. The public names are re-exported from
`dunning`; import them from there.
"""
