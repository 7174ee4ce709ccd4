"""Batch inference over folders, globs, manifests and videos: one row per face, resumable, local or on Ray."""

from .inputs import read_inputs
from .results import ResultStore
from .run import run_batch

__all__ = ["ResultStore", "read_inputs", "run_batch"]
