"""The architecture model: typed, JSON-serialisable, versioned dataclasses. It imports nothing of the toolkit."""
