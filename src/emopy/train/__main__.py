"""`python -m emopy.train ARGS` is `emopy train ARGS`; torchrun starts it once per process (see distributed.py)."""

import sys

from ..cli import app

app(["train", *sys.argv[1:]], prog_name="emopy train")
