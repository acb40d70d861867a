"""Compile once: a validated scenario as typed arrays for the engine (see compile.py)."""
