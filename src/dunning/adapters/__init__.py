"""Reference adapters for the ports of `dunning.ports`: in memory (tests, notebooks)."""
