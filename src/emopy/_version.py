"""The version of emopy, in one place: pyproject reads it at build time, `emopy.__version__` at run time."""

__version__ = "0.2.0"
