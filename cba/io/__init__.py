"""Edges of the system: reading scenario files, formatting errors, writing results."""
