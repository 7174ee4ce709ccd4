"""The one emotion vocabulary of emopy: canonical names, aliases, subsets and merges.

Every place a user names an emotion goes through `resolve`, so "calm", "happy" and
"Angry" mean the same everywhere (CLI, FERModel, loaders, server).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .errors import UnknownEmotionError

EMOTIONS: tuple[str, ...] = (
    "anger",
    "disgust",
    "fear",
    "happiness",
    "sadness",
    "surprise",
    "neutral",
    "contempt",
)

ALIASES: dict[str, str] = {
    "angry": "anger",
    "mad": "anger",
    "disgusted": "disgust",
    "afraid": "fear",
    "fearful": "fear",
    "scared": "fear",
    "happy": "happiness",
    "joy": "happiness",
    "sad": "sadness",
    "surprised": "surprise",
    "calm": "neutral",
    "contemptuous": "contempt",
}


def resolve(name: str) -> str:
    """Return the canonical name for `name` (case-insensitive; aliases allowed)."""
    key = str(name).strip().lower()
    if key in EMOTIONS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    valid = ", ".join(EMOTIONS)
    aliases = ", ".join(f"{a}->{c}" for a, c in ALIASES.items())
    raise UnknownEmotionError(f"unknown emotion {name!r}; valid names are: {valid} (aliases: {aliases})")


def resolve_many(names: Iterable[str] | str) -> list[str]:
    """Resolve a list (or a comma-separated string) of names, keeping order, rejecting repeats."""
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    out: list[str] = []
    for name in names:
        canon = resolve(name)
        if canon in out:
            raise UnknownEmotionError(f"emotion {canon!r} is named twice in {list(names)!r}")
        out.append(canon)
    if not out:
        raise UnknownEmotionError("an empty list of emotions was given; name at least one")
    return out


def subset_indices(labels: Sequence[str], emotions: Iterable[str] | str) -> list[int]:
    """Positions in `labels` of the requested emotions, in the requested order.

    Raises when an emotion is valid but absent from `labels`, naming what is available.
    """
    wanted = resolve_many(emotions)
    missing = [e for e in wanted if e not in labels]
    if missing:
        raise UnknownEmotionError(f"emotions {missing} are not available here; available: {', '.join(labels)}")
    return [list(labels).index(e) for e in wanted]


def merge_map(labels: Sequence[str], merges: dict[str, str]) -> tuple[list[str], list[int]]:
    """Plan a class merge such as {"disgust": "anger"}.

    Returns the new label list (merged-away classes removed, order kept) and, for each old
    label index, its index in the new list.
    """
    canon = {resolve(src): resolve(dst) for src, dst in merges.items()}
    for src, dst in canon.items():
        if src not in labels or dst not in labels:
            raise UnknownEmotionError(f"cannot merge {src!r} into {dst!r}: both must be among {', '.join(labels)}")
        if dst in canon:
            raise UnknownEmotionError(f"cannot merge {src!r} into {dst!r}: {dst!r} is itself merged away")
    new_labels = [lab for lab in labels if lab not in canon]
    mapping = [new_labels.index(canon.get(lab, lab)) for lab in labels]
    return new_labels, mapping
