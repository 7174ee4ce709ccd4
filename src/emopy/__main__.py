"""`python -m emopy ARGS` is `emopy ARGS` (torchrun starts `-m emopy train ...` once per process)."""

from .cli import main

main()
