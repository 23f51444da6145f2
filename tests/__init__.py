"""The test suite (a package, so tests can share `tests.reference_case`)."""
