"""chorus: many news reports of the same events, one cited account."""

__version__ = "0.1.0"
