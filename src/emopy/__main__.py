"""`python -m emopy ARGS` is `emopy ARGS` (torchrun starts `-m emopy train ...` once per process)."""

import os

from .cli import main

if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # a torchrun worker: see run_worker for why it exits its own way
    from .train.distributed import run_worker

    run_worker(main)
else:
    main()
