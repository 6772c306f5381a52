"""The package's version, in a module of its own so that lower layers need not import the package facade."""

__version__ = "0.1.0"
"""Keep equal to ``version`` in pyproject.toml (a test checks)."""
