"""`emopy experiments run subsets|baselines|ablations` and `emopy experiments report`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import app, fail

experiments = typer.Typer(
    help="Reproduce EmoPy's tables, baselines and ablations; write docs/experiments.md.", no_args_is_help=True
)
run_app = typer.Typer(help="Run (or resume) one table; finished rows are reused.", no_args_is_help=True)
experiments.add_typer(run_app, name="run")
app.add_typer(experiments, name="experiments")

OutOpt = Annotated[Path, typer.Option("--out", help="Run root: one folder per row with its result.json (resumable).")]
DocsOpt = Annotated[Path, typer.Option("--docs", help="Folder for experiments.md and figures/.")]
DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Shared data folder (default $EMOPY_DATA or ../shared/data).")
]
EpochsOpt = Annotated[int, typer.Option("--epochs", help="Training epochs per row.")]
LimitOpt = Annotated[int, typer.Option("--limit", help="Only the first N images of each split (smoke runs; 0 = all).")]
ThreadsOpt = Annotated[int, typer.Option("--threads", help="Torch/onnxruntime threads (0 = default).")]
PatienceOpt = Annotated[
    int, typer.Option("--patience", help="Stop a row after N epochs without PublicTest gain (0 = off).")
]
PrecisionOpt = Annotated[
    str, typer.Option("--precision", help="fp32, or bf16 autocast (about 2x faster on CPUs with AVX-512 BF16).")
]
ArchsOpt = Annotated[str | None, typer.Option("--archs", help="Comma list of trained methods (default: all).")]


def _settings(data: Path | None, epochs: int, limit: int, threads: int, patience: int = 0, precision: str = "fp32"):
    from ..experiments.plan import Settings
    from ..paths import default_data_dir

    return Settings(
        data=data or default_data_dir(),
        epochs=epochs,
        limit=limit,
        threads=threads,
        patience=patience,
        precision=precision,
    )


def _finish(out: Path, docs: Path) -> None:
    from ..experiments.report import write_report

    typer.echo(f"wrote {write_report(out, docs)}")


def _run(plan, out: Path, docs: Path) -> None:
    """Check the train extra, run the planned rows (a failed row is reported on stderr, the others go on), then
    rewrite the report from the finished rows (none: no report)."""
    from ..errors import DataError, EmopyError
    from ..experiments.plan import require_train_extra
    from ..experiments.store import run_rows

    try:
        require_train_extra()
        _, failed = run_rows(plan(), log=typer.echo, warn=lambda line: typer.echo(line, err=True))
    except EmopyError as exc:
        fail(exc)
    try:
        _finish(out, docs)
    except DataError as exc:
        typer.echo(str(exc), err=True)
    if failed:
        typer.echo(f"{len(failed)} row(s) failed and will be retried by the next run: {', '.join(failed)}", err=True)
        raise typer.Exit(1)


@run_app.command("subsets")
def subsets_cmd(
    out: OutOpt = Path("runs/experiments"),
    docs: DocsOpt = Path("docs"),
    data: DataOpt = None,
    epochs: EpochsOpt = 30,
    limit: LimitOpt = 0,
    threads: ThreadsOpt = 0,
    patience: PatienceOpt = 0,
    precision: PrecisionOpt = "fp32",
    subsets: Annotated[
        str | None,
        typer.Option(
            help="Subsets as 'anger,fear;disgust,surprise' (default: EmoPy's seven, plus "
            "fear,happiness,calm for the methods EmoPy publishes numbers for)."
        ),
    ] = None,
    archs: ArchsOpt = None,
    shipped: Annotated[
        str, typer.Option(help="Shipped models scored renormalised over each subset ('' for none).")
    ] = "fer2013,ferplus",
) -> None:
    """EmoPy's subset table: each subset x architecture, FER2013 PrivateTest and CK+48 accuracy."""
    from ..experiments.plan import ARCHS, parse_names, parse_subsets
    from ..experiments.subsets import plan_published, plan_subsets

    def plan():
        settings = _settings(data, epochs, limit, threads, patience, precision)
        methods = parse_names(archs, ARCHS, "architecture")
        models = tuple(s.strip() for s in shipped.split(",") if s.strip())
        rows = plan_subsets(out, settings, parse_subsets(subsets), methods, models)
        return rows if subsets else rows + plan_published(out, settings, methods, models)

    _run(plan, out, docs)


@run_app.command("baselines")
def baselines_cmd(
    out: OutOpt = Path("runs/experiments"),
    docs: DocsOpt = Path("docs"),
    data: DataOpt = None,
    epochs: EpochsOpt = 30,
    limit: LimitOpt = 0,
    threads: ThreadsOpt = 0,
    methods: Annotated[
        str | None, typer.Option(help="Comma list of hog-svm, cnn-embedding-svm (default: both).")
    ] = None,
    backbone: Annotated[
        str,
        typer.Option(help="A vgg_small model (shipped name, .onnx or .pt) whose features feed the embedding SVM."),
    ] = "default",
) -> None:
    """HOG + linear SVM and CNN embeddings + linear SVM on the 7 FER2013 classes (--epochs is unused)."""
    from ..experiments.baselines import METHODS, plan_baselines
    from ..experiments.plan import parse_names

    _run(
        lambda: plan_baselines(
            out, _settings(data, epochs, limit, threads), parse_names(methods, METHODS, "baseline"), backbone
        ),
        out,
        docs,
    )


@run_app.command("ablations")
def ablations_cmd(
    out: OutOpt = Path("runs/experiments"),
    docs: DocsOpt = Path("docs"),
    data: DataOpt = None,
    epochs: EpochsOpt = 30,
    limit: LimitOpt = 0,
    threads: ThreadsOpt = 0,
    patience: PatienceOpt = 0,
    precision: PrecisionOpt = "fp32",
    rows: Annotated[
        str | None, typer.Option(help="Comma list of default, no-augment, balanced, merge-disgust (default: all).")
    ] = None,
    arch: Annotated[str, typer.Option(help="Architecture the ablations train.")] = "ConvolutionalNN",
) -> None:
    """Augmentation on/off and disgust imbalance handling (none, balanced weights, merged into anger)."""
    from ..experiments.ablations import ABLATIONS, plan_ablations
    from ..experiments.plan import parse_names
    from ..models import model_info

    def plan():
        model_info(arch)  # an unknown architecture fails before any row runs
        return plan_ablations(
            out,
            _settings(data, epochs, limit, threads, patience, precision),
            parse_names(rows, ABLATIONS, "ablation"),
            arch,
        )

    _run(plan, out, docs)


@run_app.command("all")
def all_cmd(
    out: OutOpt = Path("runs/experiments"),
    docs: DocsOpt = Path("docs"),
    data: DataOpt = None,
    epochs: EpochsOpt = 30,
    limit: LimitOpt = 0,
    threads: ThreadsOpt = 0,
    patience: PatienceOpt = 0,
    precision: PrecisionOpt = "fp32",
    archs: ArchsOpt = None,
) -> None:
    """Everything docs/experiments.md shows, EmoPy's published comparisons first: the subset table of EmoPy's
    three models, the augmentation ablation, their 7-class rows; then the other methods, the imbalance ablations
    and the baselines; then the report. Resumable row by row."""
    from ..experiments.ablations import plan_ablations
    from ..experiments.baselines import METHODS, plan_baselines
    from ..experiments.plan import ARCHS, EMOPY_MODELS, SHIPPED, parse_names, parse_subsets
    from ..experiments.subsets import plan_published, plan_subsets

    def plan():
        settings, methods = (
            _settings(data, epochs, limit, threads, patience, precision),
            parse_names(archs, ARCHS, "architecture"),
        )
        emopy = [m for m in methods if m in EMOPY_MODELS]
        others = [m for m in methods if m not in EMOPY_MODELS]

        def ablations(names: list[str], models: list[str], only: tuple[str, ...] | None = None) -> list:
            return [r for m in models if only is None or m in only for r in plan_ablations(out, settings, names, m)]

        conv, seven = ("ConvolutionalNN",), ("ConvolutionalLstmNN", "TransferLearningNN")  # 7-class rows EmoPy has
        return (
            plan_subsets(out, settings, parse_subsets(None), emopy, SHIPPED)
            + plan_published(out, settings, emopy, ())
            + ablations(["default", "no-augment"], emopy, conv)
            + ablations(["default"], emopy, seven)
            + plan_subsets(out, settings, parse_subsets(None), others, ())
            + ablations(["default", "no-augment"], others, ("ConvolutionalNNDropout",))
            + ablations(["balanced", "merge-disgust"], emopy, conv)
            + plan_baselines(out, settings, list(METHODS))
        )

    _run(plan, out, docs)


@experiments.command("report")
def report_cmd(out: OutOpt = Path("runs/experiments"), docs: DocsOpt = Path("docs")) -> None:
    """Regenerate experiments.md and its figures from the stored rows."""
    from ..errors import DataError

    try:
        _finish(out, docs)
    except DataError as exc:
        fail(exc)
