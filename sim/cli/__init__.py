"""The ``sim`` command line (the console script ``sim = sim.cli:main``)."""

from .entry import main

__all__ = ["main"]
