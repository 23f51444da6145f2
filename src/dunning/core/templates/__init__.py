"""Built-in template packs, one folder per locale (package data read with importlib.resources)."""
