"""FER+ labels on generated files: the vote file joined to FER2013 row by row (each case of the
majority protocol in emopy.data.ferplus), and the FERPlus folder layout."""

import numpy as np
import pytest

from emopy.data import detect_kind, load_dataset, load_ferplus, load_ferplus_folders
from emopy.errors import DataError

COLS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF")
LABELS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral", "contempt")


def votes(**kw) -> list[int]:
    return [kw.get(c, 0) for c in COLS]


def vote_file(path, rows, header):
    """rows: (usage, image name, 10 vote counts)."""
    lines = [header] + [f"{u},{name}," + ",".join(map(str, v)) for u, name, v in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


# Each case: (votes, expected label or None when dropped, image name)
CASES = [
    (votes(anger=10), "anger", "a"),
    (votes(disgust=6, anger=4), "disgust", "b"),
    (votes(fear=7, surprise=3), "fear", "c"),
    (votes(happiness=9, neutral=1), "happiness", "d"),
    (votes(sadness=6, neutral=4), "sadness", "e"),
    (votes(surprise=8, fear=2), "surprise", "f"),
    (votes(neutral=10), "neutral", "g"),
    (votes(contempt=6, neutral=2, anger=2), "contempt", "h"),
    # single votes are outliers: 5 of the 5 votes left is a majority (5 of 10 would not be)
    (votes(happiness=5, neutral=1, sadness=1, surprise=1, anger=1, fear=1), "happiness", "i"),
    (votes(neutral=4, happiness=4, sadness=2), None, "j"),  # no strict majority
    (votes(neutral=5, happiness=5), None, "k"),  # exactly half is not a majority
    (votes(unknown=8, neutral=2), None, "l"),  # unknown wins
    (votes(NF=10), None, "m"),  # not a face wins
    (votes(neutral=10), None, ""),  # empty Image name: FER+ dropped the image
    (votes(neutral=1, happiness=1, sadness=1), None, "n"),  # nothing left after outlier removal
]


@pytest.fixture()
def pair(tmp_path, gen):
    """A FER2013 CSV whose row i has pixel value i, and a vote file labelling row i with CASES[i]."""
    usages = ["Training", "PublicTest", "PrivateTest"]
    fer = gen.fer2013_csv(tmp_path / "fer2013.csv", [(i % 7, gen.flat(i), usages[i % 3]) for i in range(len(CASES))])
    labels = vote_file(
        tmp_path / "fer2013new.csv",
        [(usages[i % 3], name and f"fer{i:07d}.png", v) for i, (v, _, name) in enumerate(CASES)],
        gen.FERPLUS_HEADER,
    )
    return fer, labels


def test_majority_protocol_each_case(pair):
    fer, labels = pair
    ds = load_ferplus(fer, labels)
    assert ds.label_names == LABELS
    kept = {int(img[0, 0]): LABELS[lab] for img, lab in zip(ds.images, ds.labels)}
    want = {i: lab for i, (_, lab, _) in enumerate(CASES) if lab is not None}
    assert kept == want
    assert ds.ids.tolist() == sorted(want)
    usages = ["Training", "PublicTest", "PrivateTest"]
    assert ds.split.tolist() == [usages[i % 3] for i in sorted(want)]
    assert any("without a FER+ majority" in n for n in ds.notes)


def test_soft_labels_are_vote_distribution(pair):
    fer, labels = pair
    ds = load_ferplus(fer, labels)
    assert ds.votes.shape == (len(ds), 8) and ds.votes.dtype == np.float32
    np.testing.assert_allclose(ds.votes.sum(1), 1.0, rtol=1e-6)
    by_row = dict(zip(ds.ids.tolist(), ds.votes))
    # row 7: contempt 6, neutral 2, anger 2 -> 0.6 / 0.2 / 0.2 in canonical order
    np.testing.assert_allclose(by_row[7], [0.2, 0, 0, 0, 0, 0, 0.2, 0.6], atol=1e-6)
    # row 8: the single votes are removed from the distribution too
    np.testing.assert_allclose(by_row[8], [0, 0, 0, 1, 0, 0, 0, 0], atol=1e-6)
    # argmax of the soft label is the hard label
    assert (ds.votes.argmax(1) == ds.labels).all()


def test_join_is_row_by_row_when_fer2013_rows_are_skipped(tmp_path, gen):
    fer = gen.fer2013_csv(
        tmp_path / "fer2013.csv",
        [
            (0, gen.flat(0), "Training"),
            (0, "1 2 3", "Training"),
            (0, gen.flat(2), "Training"),
        ],
    )
    labels = vote_file(
        tmp_path / "new.csv",
        [
            ("Training", "fer0.png", votes(happiness=10)),
            ("Training", "fer1.png", votes(sadness=10)),
            ("Training", "fer2.png", votes(surprise=10)),
        ],
        gen.FERPLUS_HEADER,
    )
    with pytest.warns(UserWarning, match=r"skipped 1 bad record"):
        ds = load_ferplus(fer, labels)
    assert [int(i[0, 0]) for i in ds.images] == [0, 2]
    assert [LABELS[i] for i in ds.labels] == ["happiness", "surprise"]
    assert ds.skipped == 1


def test_bad_vote_rows_skipped_and_strict(tmp_path, gen):
    fer = gen.fer2013_csv(tmp_path / "fer2013.csv", [(0, gen.flat(i), "Training") for i in range(3)])
    labels = tmp_path / "new.csv"
    labels.write_text(
        gen.FERPLUS_HEADER + "\nTraining,fer0.png,10,0,0,0,0,0,0,0,0,0\n"
        "Training,fer1.png,ten,0,0,0,0,0,0,0,0,0\nTraining,fer2.png,1,2\n"
    )
    with pytest.warns(UserWarning, match=r"skipped 2 bad record") as rec:
        ds = load_ferplus(fer, labels)
    assert "vote counts are not 10 non-negative integers" in str(rec[0].message)
    assert len(ds) == 1 and ds.skipped == 2
    with pytest.raises(DataError, match="row 3"):
        load_ferplus(fer, labels, strict=True)


def test_load_dataset_routes_and_subsets(pair):
    fer, labels = pair
    assert detect_kind(fer, labels) == "ferplus"
    ds = load_dataset(fer, ferplus_labels=labels, emotions="happy,contempt")
    assert ds.label_names == ("happiness", "contempt")
    assert sorted(ds.ids.tolist()) == [3, 7, 8]
    # soft labels are renormalised over the subset
    np.testing.assert_allclose(ds.votes.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(ds.votes[ds.ids.tolist().index(7)], [0, 1], atol=1e-6)
    merged = load_dataset(fer, ferplus_labels=labels).merge({"contempt": "disgust"})
    assert "contempt" not in merged.label_names
    row7 = merged.votes[merged.ids.tolist().index(7)]
    assert merged.label_names[int(merged.labels[merged.ids.tolist().index(7)])] == "disgust"
    np.testing.assert_allclose(row7[merged.label_names.index("disgust")], 0.6, atol=1e-6)
    with pytest.raises(DataError, match="ferplus_labels"):
        load_dataset(fer, kind="ferplus")


def test_wrong_vote_header(tmp_path, gen):
    fer = gen.fer2013_csv(tmp_path / "fer2013.csv", [(0, gen.flat(0), "Training")])
    bad = tmp_path / "new.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match="fer2013new.csv header"):
        load_ferplus(fer, bad)


# ---- the FERPlus folder layout ----------------------------------------------------------------
def ferplus_tree(root, gen, quoted: bool):
    box = '"(0, 0, 48, 48)"' if quoted else "(0,0,48,48)"
    tree = {
        "FER2013Train": [
            ("fer0000000.png", votes(neutral=4, happiness=0, surprise=0, sadness=1, anger=3, disgust=2), 11),
            ("fer0000001.png", votes(happiness=8, neutral=2), 12),
            ("fer0000002.png", votes(unknown=9, NF=1), 13),
        ],
        "FER2013Valid": [("fer0000003.png", votes(surprise=7, fear=3), 14)],
        "FER2013Test": [("fer0000004.png", votes(sadness=10), 15)],
    }
    for folder, rows in tree.items():
        lines = []
        for name, v, value in rows:
            gen.write_image(
                root / folder / name, gen.flat(value) if value != 15 else np.full((64, 64), value, np.uint8)
            )
            lines.append(f"{name},{box}," + ",".join(map(str, v)))
        (root / folder / "label.csv").write_text("\n".join(lines) + "\n")
    return root


@pytest.mark.parametrize("quoted", [True, False], ids=["quoted-box", "bare-box"])
def test_ferplus_folders(tmp_path, gen, quoted):
    root = ferplus_tree(tmp_path / "FERPlus", gen, quoted)
    assert detect_kind(root) == "ferplus-folders"
    ds = load_dataset(root)
    assert ds.skipped == 0
    assert ds.images.shape == (3, 48, 48)  # the 64x64 test image was resized
    got = [(int(i[0, 0]), LABELS[lab], s) for i, lab, s in zip(ds.images, ds.labels, ds.split)]
    # row 0: 4 neutral, 3 anger, 2 disgust, 1 sadness -> after outlier removal 4 of 9: no majority, dropped
    assert got == [(12, "happiness", "Training"), (14, "surprise", "PublicTest"), (15, "sadness", "PrivateTest")]
    np.testing.assert_allclose(ds.votes[0], [0, 0, 0, 0.8, 0, 0, 0.2, 0], atol=1e-6)


def test_ferplus_folders_bad_records(tmp_path, gen):
    root = ferplus_tree(tmp_path / "FERPlus", gen, quoted=True)
    (root / "FER2013Train" / "fer0000001.png").write_bytes(b"not an image at all")
    with (root / "FER2013Valid" / "label.csv").open("a") as fh:
        fh.write('missing.png,"(0, 0, 48, 48)",10,0,0,0,0,0,0,0,0,0\n')
        fh.write('fer0000003.png,"(0, 0, 48, 48)",x,0,0,0,0,0,0,0,0,0\n')
    with pytest.warns(UserWarning, match=r"skipped 3 bad record") as rec:
        ds = load_ferplus_folders(root)
    assert "not a readable image" in str(rec[0].message)
    assert ds.skipped == 3
    assert [LABELS[lab] for lab in ds.labels] == ["surprise", "sadness"]
    with pytest.raises(DataError):
        load_ferplus_folders(root, strict=True)


def test_ferplus_folders_empty(tmp_path):
    (tmp_path / "FER2013Train").mkdir()
    with pytest.raises(DataError, match="label.csv"):
        load_ferplus_folders(tmp_path)
