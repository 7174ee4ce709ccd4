"""What the experiments run: EmoPy's emotion subsets, the architectures, EmoPy's own numbers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..emotions import resolve_many
from ..errors import require

# The emotion subsets of EmoPy's README table, in its order.
SUBSETS: tuple[tuple[str, ...], ...] = (
    ("anger", "fear", "surprise", "calm"),
    ("disgust", "happiness", "surprise"),
    ("anger", "happiness", "calm"),
    ("anger", "fear", "surprise"),
    ("anger", "disgust"),
    ("anger", "fear"),
    ("disgust", "surprise"),
)
# The one subset EmoPy's README publishes numbers for (its "Performance" table), run with the methods it
# publishes them for.
PUBLISHED_SUBSET: tuple[str, ...] = ("fear", "happiness", "calm")
PUBLISHED_METHODS: tuple[str, ...] = ("TransferLearningNN", "ConvolutionalLstmNN")

# Trained methods: name -> (registered architecture, model kwargs). TransferLearningNN starts
# from the vgg_small trunk of our shipped default model (no ImageNet weights can be downloaded here) and,
# like EmoPy's, keeps the pretrained layers frozen and trains new top layers. ConvolutionalLstmNN sees each still
# image as a one-frame sequence, as EmoPy ran it on FER+ images.
ARCHS: dict[str, tuple[str, dict]] = {
    "ConvolutionalNN": ("ConvolutionalNN", {}),
    "ConvolutionalLstmNN": ("ConvolutionalLstmNN", {}),
    "ConvolutionalNNDropout": ("ConvolutionalNNDropout", {}),
    "TransferLearningNN": ("TransferLearningNN", {"weights": "default", "freeze": True}),
    "vgg_small": ("vgg_small", {}),
}
# EmoPy's own models, whose published numbers the study compares first.
EMOPY_MODELS: tuple[str, ...] = ("ConvolutionalNN", "ConvolutionalLstmNN", "TransferLearningNN")
# Shipped models scored on each subset by renormalising their probabilities over it (no training).
SHIPPED: tuple[str, ...] = ("fer2013", "ferplus")
# What the rows and the report import, all from emopy-fer[train]: training (torch, onnx, kornia), scores
# (scikit-learn), HOG features (scikit-image), figures (matplotlib).
NEEDS: tuple[str, ...] = ("torch", "onnx", "kornia", "sklearn", "skimage", "matplotlib")


def require_train_extra() -> None:
    """Raise MissingExtraError before any row runs when a module of emopy-fer[train] is missing (else every row
    would fail on its own)."""
    for module in NEEDS:
        require(module, "train")


# EmoPy's published accuracies, {(subset key, EmoPy model): (training acc, validation acc)}: the subset table
# of EmoPy's write-up (ThoughtWorks Arts blog, 2018; FER+ images of their own selection, their own random
# validation split and schedule, augmentation on) and the "Performance" section of EmoPy's README
# (github.com/thoughtworksarts/EmoPy, e.g. commit 002ddd7; 5,000 FER+ images, random validation split).
# Pointers, not like-for-like numbers: our protocol is FER2013 Training / PublicTest / PrivateTest.
SEVEN = "anger-disgust-fear-happiness-sadness-surprise-neutral"
_WRITEUP = {  # subset: (TransferLearningNN, ConvolutionalNN, ConvolutionalLstmNN), each (train, val)
    ("anger", "fear", "surprise", "calm"): ((0.6636, 0.4947), (0.6064, 0.5637), (0.6451, 0.5125)),
    ("disgust", "happiness", "surprise"): ((0.7797, 0.7877), (0.9246, 0.9045), (0.7391, 0.7074)),
    ("anger", "happiness", "calm"): ((0.5385, 0.5148), (0.7575, 0.7218), (0.7056, 0.6653)),
    ("anger", "fear", "surprise"): ((0.7710, 0.5914), (0.6851, 0.6503), (0.5501, 0.3523)),
    ("anger", "disgust"): ((0.9182, 0.9094), (0.9580, 0.9404), (0.8971, 0.9118)),
    ("anger", "fear"): ((0.6691, 0.6381), (0.7791, 0.7029), (0.5609, 0.5567)),
    ("disgust", "surprise"): ((0.9256, 0.9019), (0.9893, 0.9624), (0.8846, 0.8806)),
}
EMOPY_PUBLISHED: dict[tuple[str, str], tuple[float, float]] = {
    **{
        ("-".join(resolve_many(list(s))), m): acc
        for s, accs in _WRITEUP.items()
        for m, acc in zip(("TransferLearningNN", "ConvolutionalNN", "ConvolutionalLstmNN"), accs)
    },
    (SEVEN, "ConvolutionalNNDropout"): (0.7045, 0.6536),
    (SEVEN, "ConvolutionalLstmNN"): (0.6187, 0.4751),
    (SEVEN, "TransferLearningNN"): (0.5358, 0.2933),
    ("fear-happiness-neutral", "ConvolutionalLstmNN"): (0.9148, 0.6267),
    ("fear-happiness-neutral", "TransferLearningNN"): (0.7393, 0.4840),
}


@dataclass(frozen=True)
class Settings:
    """Options shared by every row: data folder, schedule (epochs, early-stopping patience on PublicTest,
    precision), per-split image limit, torch threads."""

    data: Path
    epochs: int = 30
    limit: int = 0
    threads: int = 0
    patience: int = 0
    precision: str = "fp32"

    @property
    def schedule(self) -> dict:
        """What a trained row's result depends on (stored with it; a row made otherwise is not reused)."""
        return {"epochs": self.epochs, "limit": self.limit, "patience": self.patience, "precision": self.precision}

    @property
    def fer2013(self) -> Path:
        return self.data / "fer2013" / "fer2013.csv.gz"

    @property
    def ckplus(self) -> Path:
        return self.data / "ckplus48"


def subset_key(emotions) -> str:
    """File-name key of a subset: canonical names joined by '-' (calm is neutral)."""
    return "-".join(resolve_many(list(emotions)))


def parse_subsets(text: str | None) -> list[tuple[str, ...]]:
    """'anger,fear;disgust,surprise' -> subsets (canonical names); None -> all of EmoPy's."""
    if not text:
        return [tuple(resolve_many(list(s))) for s in SUBSETS]
    return [tuple(resolve_many(part)) for part in text.split(";") if part.strip()]


def parse_names(text: str | None, known, what: str) -> list[str]:
    """A comma list checked against `known` (None -> all of them)."""
    from ..errors import unknown_name

    names = [n.strip() for n in text.split(",") if n.strip()] if text else list(known)
    for n in names:
        if n not in known:
            raise unknown_name(what, n, list(known))
    return names
