"""The one error type ingest raises for bad input: its message says what is wrong and where, in one line."""


class IngestError(ValueError):
    """Input that cannot be ingested; str(error) is a one-line reason naming the file (and row)."""
