"""`emopy experiments`: each table in smoke mode on a slice of the real data, the report, and row reuse."""

from __future__ import annotations

import json

import pytest

from _cli_helpers import run_without
from emopy.errors import DataError
from emopy.experiments.report import shortfall, write_report
from emopy.experiments.store import Row, load_rows, run_rows

SMOKE = ("--limit", 32, "--epochs", 1, "--threads", 1)


@pytest.fixture(scope="module")
def smoke_data(fer2013_slice, ckplus_dir, tmp_path_factory):
    """A data folder in the shared layout: the first 64 real FER2013 rows per split, and the real CK+48."""
    root = tmp_path_factory.mktemp("exp-data")
    (root / "fer2013").mkdir()
    (root / "fer2013" / "fer2013.csv.gz").symlink_to(fer2013_slice)
    (root / "ckplus48").symlink_to(ckplus_dir)
    return root


@pytest.fixture(scope="module")
def exp(cli, smoke_data, tmp_path_factory):
    """exp(table, *options) runs `emopy experiments run TABLE` into one shared run root and docs folder."""
    out, docs = tmp_path_factory.mktemp("exp-runs"), tmp_path_factory.mktemp("exp-docs")

    def run(table: str, *extra):
        res = cli("experiments", "run", table, "--data", smoke_data, "--out", out, "--docs", docs, *SMOKE, *extra)
        assert res.exit_code == 0, f"{res.output}\n{res.exception!r}"
        return res.output, out, docs

    return run


SUBSET = ("--subsets", "anger,fear,calm", "--archs", "vgg_small", "--shipped", "fer2013")


@pytest.fixture(scope="module")
def subsets_run(exp):
    """The subsets table for one subset (with calm, which CK+48 lacks), vgg_small and one shipped model."""
    return exp("subsets", *SUBSET)


def test_subsets_table_figures_and_reuse(exp, subsets_run):
    output, out, docs = subsets_run
    assert (
        "done subsets anger-fear-neutral vgg_small" in output
        and "done subsets anger-fear-neutral shipped fer2013" in output
    )
    text = (docs / "experiments.md").read_text()
    assert "Smoke run" in text and "| anger, fear, neutral | vgg_small | – | – | – |" in text
    assert (
        str(out) not in text and "the run folder given (here one outside the project" in text
    )  # never a machine-local path
    assert "shipped fer2013 (renormalised)" in text and "no neutral (calm) images" in text
    assert (docs / "figures" / "subset-anger-fear-neutral.png").stat().st_size > 1000
    row = json.loads((out / "subsets" / "anger-fear-neutral" / "vgg_small" / "result.json").read_text())
    assert row["test"]["labels"] == ["anger", "fear", "neutral"] and row["ckplus"]["n"] > 0 and row["wall_s"] > 0
    assert row["ckplus_missing"] == ["neutral"]
    assert row["settings"] == {"epochs": 1, "limit": 32, "patience": 0, "precision": "fp32"}
    again, _, _ = exp("subsets", *SUBSET)
    assert again.count("reused subsets") == 2 and "done" not in again


def test_published_numbers_beside_ours(exp):
    output, out, docs = exp(
        "subsets", "--subsets", "fear,happy,calm", "--archs", "TransferLearningNN", "--shipped", "fer2013"
    )
    assert "done subsets fear-happiness-neutral TransferLearningNN" in output
    text = (docs / "experiments.md").read_text()
    row = json.loads((out / "subsets" / "fear-happiness-neutral" / "TransferLearningNN" / "result.json").read_text())
    acc = row["test"]["accuracy"]
    ours = f"TransferLearningNN {acc:.3f}"
    # EmoPy's training and validation numbers in the subset table, and ours minus theirs in points
    assert f"| fear, happiness, neutral | TransferLearningNN | 0.739 | 0.484 | {100 * (acc - 0.484):+.1f} |" in text
    finding = text.split("### Findings per subset")[1]
    assert "- **fear, happiness, neutral** (always answering the majority class: " in finding
    assert f"TransferLearningNN {acc:.3f} vs EmoPy 0.484 ({100 * (acc - 0.484):+.1f}): " in finding
    published = text.split("## EmoPy's published numbers beside ours")[1]
    assert (
        f"| TransferLearningNN | fear, happiness, neutral | 0.739 | 0.484 | {ours}; shipped fer2013 (renormalised) "
        in published
    )
    assert "| ConvolutionalNNDropout | 7 (all) | 0.705 | 0.654 |" in published
    # the write-up's subset table: every subset, three EmoPy models each, training and validation accuracy
    assert "| ConvolutionalNN | anger, disgust | 0.958 | 0.940 | no row of ours yet |" in published
    assert "| ConvolutionalLstmNN | anger, fear, surprise, neutral | 0.645 | 0.512 |" in published
    assert published.count("| ConvolutionalNN | ") == 7 and published.count("| ConvolutionalLstmNN | ") == 9


def test_convolutional_lstm_on_still_images(exp):
    """EmoPy ran ConvolutionalLstmNN on still images: each is a one-frame sequence, trained, exported and scored."""
    output, out, docs = exp("subsets", "--subsets", "anger,disgust", "--archs", "ConvolutionalLstmNN", "--shipped", "")
    assert "done subsets anger-disgust ConvolutionalLstmNN" in output
    row = json.loads((out / "subsets" / "anger-disgust" / "ConvolutionalLstmNN" / "result.json").read_text())
    assert row["test"]["n"] > 0 and row["ckplus"]["n"] > 0 and row["test"]["labels"] == ["anger", "disgust"]
    text = (docs / "experiments.md").read_text()
    assert (
        f"| anger, disgust | ConvolutionalLstmNN | 0.897 | 0.912 | {100 * (row['test']['accuracy'] - 0.9118):+.1f} |"
        in text
    )
    # a shortfall says where it comes from (what that says: test_a_shortfall_says_where_it_comes_from)
    finding = next(x for x in text.split("### Findings per subset")[1].splitlines() if "**anger, disgust**" in x)
    stored = next(r for r in load_rows(out, "subsets") if r["folder"] == row["folder"])  # with its learning curve
    assert (shortfall(stored) in finding) == (row["test"]["accuracy"] < 0.9118), finding


def test_baselines(exp, subsets_run):
    _, runs, _ = subsets_run
    backbone = runs / "subsets" / "anger-fear-neutral" / "vgg_small" / "best-fer2013.pt"
    output, out, docs = exp("baselines", "--backbone", backbone)
    assert "done baselines hog-svm" in output and "done baselines cnn-embedding-svm" in output
    text = (docs / "experiments.md").read_text()
    assert "## Classical baselines" in text and "HOG" in text and "| 900 |" in text and "| 256 |" in text


def test_ablations(exp):
    output, out, docs = exp("ablations", "--rows", "default,balanced,merge-disgust")
    text = (docs / "experiments.md").read_text()
    assert "## Ablations" in text and "merged into anger" in text
    merged = json.loads((out / "ablations" / "ConvolutionalNN" / "merge-disgust" / "result.json").read_text())
    assert "disgust" not in merged["test"]["labels"] and len(merged["test"]["labels"]) == 6


def test_report_and_bad_options(cli, exp, smoke_data, tmp_path):
    _, out, docs = exp("ablations", "--rows", "default")
    res = cli("experiments", "report", "--out", out, "--docs", tmp_path)
    assert res.exit_code == 0 and (tmp_path / "experiments.md").exists()
    res = cli("experiments", "run", "subsets", "--data", smoke_data, "--out", out, "--archs", "vgg_smal", *SMOKE)
    assert res.exit_code == 2 and "unknown architecture 'vgg_smal'; did you mean vgg_small" in res.output
    res = cli(
        "experiments",
        "run",
        "ablations",
        "--data",
        smoke_data,
        "--out",
        out,
        "--docs",
        tmp_path,
        "--limit",
        16,
        "--rows",
        "default",
    )
    assert res.exit_code == 2 and "use another --out" in res.output


def _broken(folder):
    raise RuntimeError("no backbone")


def _hog_row(folder) -> dict:
    """What a finished baselines row stores (numbers made up: the report is what is tested)."""
    return {
        "feature_dim": 900,
        "chosen_C": 0.01,
        "val": {"accuracy": 0.41},
        "test": {"accuracy": 0.42, "macro_f1": 0.31},
    }


def test_failed_row_is_skipped_and_retried(tmp_path):
    calls, warnings = [], []
    ok = Row("t ok", tmp_path / "ok", {"limit": 1}, lambda f: calls.append(f) or {"test": {"accuracy": 0.5}})
    rows, failed = run_rows(
        [Row("t broken", tmp_path / "broken", {"limit": 1}, _broken), ok], log=calls.append, warn=warnings.append
    )
    assert failed == ["t broken"] and len(rows) == 1 and not (tmp_path / "broken" / "result.json").exists()
    assert warnings == ["failed t broken: RuntimeError: no backbone"] and not any("broken" in str(c) for c in calls)
    rows, _ = run_rows([ok], log=calls.append)
    assert rows[0]["wall_s"] >= 0 and calls[-1].startswith("reused t ok")


def test_the_report_shows_finished_rows_only_and_none_without_one(tmp_path):
    out, docs = tmp_path / "runs", tmp_path / "docs"
    meta = {"kind": "hog-svm", "method": "HOG + linear SVM"}
    broken = Row("baselines broken", out / "baselines" / "cnn", {"limit": 0}, _broken, {**meta, "method": "CNN SVM"})
    _, failed = run_rows([broken], log=print, warn=print)
    with pytest.raises(DataError, match="no finished experiment rows"):
        write_report(out, docs)
    assert failed == ["baselines broken"] and not docs.exists()
    ok = Row("baselines hog", out / "baselines" / "hog", {"limit": 0}, _hog_row, meta)
    run_rows([broken, ok], log=print, warn=print)
    text = write_report(out, docs).read_text()
    assert "| HOG + linear SVM | 900 | 0.01 | 0.410 | 0.420 | 0.310 |" in text and "CNN SVM" not in text
    assert "- baselines: 1 rows" in text


def test_a_run_that_finishes_no_row_writes_no_report(cli, tmp_path):
    """Rows that fail (here: no data) are reported on stderr, and with none finished no report is written."""
    docs = tmp_path / "docs"
    res = cli(
        "experiments",
        "run",
        "baselines",
        "--methods",
        "hog-svm",
        "--data",
        tmp_path / "nowhere",
        "--out",
        tmp_path / "runs",
        "--docs",
        docs,
    )
    assert res.exit_code == 1 and not docs.exists()
    assert "failed baselines hog-svm: " in res.stderr and "failed baselines" not in res.stdout
    assert "no finished experiment rows, so no report to write" in res.stderr
    assert "1 row(s) failed and will be retried by the next run: baselines hog-svm" in res.stderr
    res = cli("experiments", "report", "--out", tmp_path / "runs", "--docs", docs)
    assert res.exit_code == 2 and "no finished experiment rows" in res.stderr and not docs.exists()


def test_experiments_run_without_torch_is_one_line_and_writes_nothing(tmp_path):
    """As a user without emopy-fer[train] runs it, with the default --out and --docs under the working folder."""
    res = run_without(["torch"], "experiments", "run", "all", cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines() == [
        "error: torch is required for this feature but is not installed; "
        "install it with: pip install 'emopy-fer[train]'"
    ]
    assert res.stdout == "" and list(tmp_path.iterdir()) == []


def test_a_shortfall_says_where_it_comes_from():
    """A row below EmoPy's number: the finding names its weakest class, a one-class answer and an early stop."""
    from emopy.experiments.report import findings

    def row(method, cm, epochs_run):
        labels = ["anger", "disgust"]
        per = {lab: {"recall": cm[i][i] / sum(cm[i]), "support": sum(cm[i])} for i, lab in enumerate(labels)}
        acc = (cm[0][0] + cm[1][1]) / sum(map(sum, cm))
        test = {"accuracy": acc, "labels": labels, "confusion_matrix": cm, "per_class": per}
        return {"subset": labels, "method": method, "test": test, "settings": {"epochs": 30}, "epochs_run": epochs_run}

    rows = [row("ConvolutionalNN", [[90, 0], [10, 0]], 7), row("TransferLearningNN", [[89, 1], [4, 6]], 30)]
    rows[0]["curve"] = [{"epoch": e + 1, "train_loss": 0.69 - 0.002 * e} for e in range(7)]  # stuck near ln 2
    (line,) = findings("anger-disgust", rows)
    assert "ConvolutionalNN 0.900 vs EmoPy 0.940 (-4.0): falls short by 4.0 points" in line
    assert (
        "its weakest class is disgust, recall 0.00 on 10% of the test faces, as it answers anger for every face; "
        "its training loss ended at 0.678, near chance (0.693); early stopping ended it at epoch 7 of 30" in line
    )
    assert "TransferLearningNN 0.950 vs EmoPy 0.909 (+4.1): beats it, by less than 10 points" in line
