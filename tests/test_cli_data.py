"""`emopy data info` as a user runs it: generated data, and the real datasets' known counts."""

import json

import pytest

FER2013_COUNTS = {
    "Training": [3995, 436, 4097, 7215, 4830, 3171, 4965],
    "PublicTest": [467, 56, 496, 895, 653, 415, 607],
    "PrivateTest": [491, 55, 528, 879, 594, 416, 626],
}
FER2013_LABELS = ["anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral"]
# FER+ under emopy's majority protocol (emopy.data.ferplus), measured once from the shared files
FERPLUS_COUNTS = {
    "Training": {
        "anger": 2100,
        "disgust": 119,
        "fear": 532,
        "happiness": 7287,
        "sadness": 3014,
        "surprise": 3149,
        "neutral": 8740,
        "contempt": 119,
    },
    "PublicTest": {
        "anger": 287,
        "disgust": 24,
        "fear": 62,
        "happiness": 865,
        "sadness": 351,
        "surprise": 415,
        "neutral": 1182,
        "contempt": 13,
    },
    "PrivateTest": {
        "anger": 273,
        "disgust": 18,
        "fear": 83,
        "happiness": 893,
        "sadness": 384,
        "surprise": 396,
        "neutral": 1090,
        "contempt": 16,
    },
}
CKPLUS_COUNTS = {
    "anger": 135,
    "disgust": 177,
    "fear": 75,
    "happiness": 207,
    "sadness": 84,
    "surprise": 249,
    "contempt": 54,
}


def table(output: str) -> dict[str, list[int]]:
    """The per-split rows of the `emopy data info` table: {split: [counts..., total]}."""
    rows = {}
    for line in output.splitlines():
        parts = line.split()
        if parts and parts[0] in ("Training", "PublicTest", "PrivateTest", "all"):
            rows[parts[0]] = [int(p) for p in parts[1:]]
    return rows


# ---- generated data ----------------------------------------------------------------------------
def test_info_table_on_generated_csv(cli, tmp_path, gen):
    path = gen.fer2013_csv(tmp_path / "f.csv.gz", gen.fer2013_pattern_rows((8, 4, 4)), gz=True)
    res = cli("data", "info", path)
    assert res.exit_code == 0, res.output
    assert "16 images" in res.output and "skipped 0" in res.output
    header = next(line for line in res.output.splitlines() if line.startswith("split"))
    assert header.split() == ["split", *FER2013_LABELS, "total"]
    assert table(res.output) == {
        "Training": [2, 0, 0, 2, 2, 0, 2, 8],
        "PublicTest": [1, 0, 0, 1, 1, 0, 1, 4],
        "PrivateTest": [1, 0, 0, 1, 1, 0, 1, 4],
    }


def test_info_json_subset_folders(cli, blob_folders):
    res = cli("data", "info", blob_folders, "--emotions", "calm,happy", "--json")
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["labels"] == ["neutral", "happiness"]
    assert info["counts"] == {"all": {"neutral": 40, "happiness": 40}}
    assert info["skipped"] == 0 and info["source"].startswith("folders:")


def test_info_reports_skipped(cli, tmp_path, gen):
    rows = gen.fer2013_pattern_rows((4, 0, 0)) + [(3, "1 2 3", "Training"), (8, gen.flat(0), "Training")]
    with pytest.warns(UserWarning, match="skipped 2 bad record"):
        res = cli("data", "info", gen.fer2013_csv(tmp_path / "f.csv", rows), "--json")
    assert res.exit_code == 0
    assert json.loads(res.output)["skipped"] == 2


def test_info_errors_are_clean(cli, tmp_path, blob_folders):
    res = cli("data", "info", tmp_path / "missing")
    assert res.exit_code == 2 and "error:" in res.output and "Traceback" not in res.output
    res = cli("data", "info", blob_folders, "--emotions", "bored")
    assert res.exit_code == 2
    assert "unknown emotion 'bored'" in res.output and "happiness" in res.output


# ---- the real datasets -------------------------------------------------------------------------
def test_fer2013_counts(cli, fer2013_csv):
    res = cli("data", "info", fer2013_csv)
    assert res.exit_code == 0, res.output
    assert "35887 images" in res.output and "skipped 0" in res.output
    got = table(res.output)
    assert got == {s: c + [sum(c)] for s, c in FER2013_COUNTS.items()}
    assert [got[s][-1] for s in FER2013_COUNTS] == [28709, 3589, 3589]


def test_ferplus_counts(cli, fer2013_csv, ferplus_csv):
    res = cli("data", "info", fer2013_csv, "--ferplus-labels", ferplus_csv, "--json")
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["labels"] == FER2013_LABELS + ["contempt"]
    assert info["skipped"] == 0
    assert info["counts"] == FERPLUS_COUNTS
    assert {s: sum(c.values()) for s, c in info["counts"].items()} == {
        "Training": 25060,
        "PublicTest": 3199,
        "PrivateTest": 3153,
    }


def test_ckplus48_counts(cli, ckplus_dir):
    res = cli("data", "info", ckplus_dir, "--json")
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["counts"] == {"all": CKPLUS_COUNTS}
    assert sum(CKPLUS_COUNTS.values()) == 981


def test_ckplus48_subjects_never_span_splits(ckplus_dir):
    from emopy.data import load_dataset, split_by_group

    ds = split_by_group(load_dataset(ckplus_dir))
    assert len(ds) == 981 and ds.images.shape[1:] == (48, 48)
    assert len(set(ds.groups.tolist())) > 100
    seen = {}
    for g, s in zip(ds.groups, ds.split):
        seen.setdefault(g, set()).add(s)
    assert all(len(v) == 1 for v in seen.values())


@pytest.mark.parametrize("args", [("--help",), ("data", "--help"), ("data", "info", "--help")])
def test_help(cli, args):
    res = cli(*args)
    assert res.exit_code == 0 and "Usage" in res.output
