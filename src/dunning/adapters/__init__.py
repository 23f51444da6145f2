"""Reference adapters for the ports of `dunning.ports`.

- `dunning.adapters.memory`: source, log and senders in memory (tests, notebooks);
- `dunning.adapters.sqlite`: source and log in a SQLite file (several processes);
- `dunning.adapters.smtp`: email over SMTP;
- `dunning.adapters.files`: messages written to a folder or printed (demos, dry runs, letters).
"""
