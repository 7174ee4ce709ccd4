"""Data-parallel training with PyTorch's own DistributedDataParallel (gloo on CPU), started by torchrun.

`torchrun --nproc-per-node N -m emopy train --recipe FILE ...` (or `emopy train --nproc N`, which writes the recipe
into the run folder and starts that) runs N processes; each reads its rank from the environment torchrun sets. One
process without torchrun is the ordinary single-process run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import torch
import torch.distributed as dist

from ..errors import EmopyError


@dataclass(frozen=True)
class World:
    """This process's place in the run: rank 0 of 1 when not distributed."""

    rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        """The process that writes checkpoints, logs and exports."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def init_from_env() -> World:
    """Join the process group torchrun describes in WORLD_SIZE/RANK/MASTER_*; single process otherwise."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    return World(dist.get_rank(), dist.get_world_size())


def current() -> World:
    """The world of an already initialised process group (or the single process)."""
    return World(dist.get_rank(), dist.get_world_size()) if dist.is_available() and dist.is_initialized() else World()


def all_sum(values: list[float]) -> list[float]:
    """Element-wise sum over all processes (identity when not distributed)."""
    if not current().distributed:
        return values
    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


def all_gather_float(value: float) -> list[float]:
    """`value` from every process, in rank order."""
    if not current().distributed:
        return [value]
    out = [torch.zeros((), dtype=torch.float64) for _ in range(dist.get_world_size())]
    dist.all_gather(out, torch.tensor(value, dtype=torch.float64))
    return [float(v) for v in out]


def shutdown() -> None:
    """Leave the process group together: without the barrier a rank that exits first can abort the other's gloo
    threads."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def run_worker(main: Callable[[], object]) -> NoReturn:
    """Run a torchrun worker's command, then leave with `os._exit`: DDP keeps gloo's process group and its threads
    referenced past `destroy_process_group`, and freeing them during interpreter teardown can abort a finished run
    ("terminate called without an active exception", pytorch/pytorch#179291)."""
    try:
        main()
        code = 0
    except SystemExit as e:  # the CLI always ends this way
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
        code = e.code if isinstance(e.code, int) else int(e.code is not None)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def launched() -> bool:
    """Whether this process was started by torchrun (or a launcher that sets its environment)."""
    return "WORLD_SIZE" in os.environ


def launch(nproc: int, recipe_file: Path, out: Path) -> None:
    """Run `python -m emopy train --recipe RECIPE_FILE --out OUT` in `nproc` processes on this machine (torchrun);
    raises when they fail (each has printed its own error)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}"]
    code = subprocess.call([*cmd, "-m", "emopy", "train", "--recipe", str(recipe_file), "--out", str(out)])
    if code:
        raise EmopyError(f"the {nproc} training processes failed (torchrun exit status {code})")
