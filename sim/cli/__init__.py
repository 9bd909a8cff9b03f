"""The ``sim`` command line (the console script ``sim = sim.cli:main``)."""

from .main import main

__all__ = ["main"]
