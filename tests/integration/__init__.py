"""Integration tests: real SQLite files, a real SMTP server on 127.0.0.1."""
