"""FER2013 CSV loader on generated files: plain and gzip, splits, subsets, merges, bad rows."""

import numpy as np
import pytest

from emopy.data import Dataset, load_dataset, load_fer2013
from emopy.errors import DataError, UnknownEmotionError, UnknownNameError


def rows_one_per_code(gen):
    """Codes 0..6 once per split; image value encodes (split, code) so order can be checked."""
    rows = []
    for s, usage in enumerate(("Training", "PublicTest", "PrivateTest")):
        for code in range(7):
            rows.append((code, gen.flat(10 * s + code), usage))
    return rows


@pytest.mark.parametrize("gz, name", [(False, "fer.csv"), (True, "fer.csv.gz"), (True, "gzip-without-suffix.csv")])
def test_plain_and_gzip(tmp_path, gen, gz, name):
    path = gen.fer2013_csv(tmp_path / name, rows_one_per_code(gen), gz=gz)
    ds = load_dataset(path)
    assert isinstance(ds, Dataset)
    assert ds.images.shape == (21, 48, 48) and ds.images.dtype == np.uint8
    assert ds.label_names == ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
    assert ds.labels.tolist() == list(range(7)) * 3
    assert ds.split.tolist() == ["Training"] * 7 + ["PublicTest"] * 7 + ["PrivateTest"] * 7
    assert ds.ids.tolist() == list(range(21))
    assert ds.images[:, 0, 0].tolist() == [10 * s + c for s in range(3) for c in range(7)]
    assert ds.skipped == 0
    assert ds.counts() == {s: {n: 1 for n in ds.label_names} for s in ("Training", "PublicTest", "PrivateTest")}


def test_pixel_order_is_row_major(tmp_path, gen):
    img = np.arange(48 * 48, dtype=np.int64).reshape(48, 48) % 251
    ds = load_fer2013(gen.fer2013_csv(tmp_path / "f.csv", [(3, img.astype(np.uint8), "Training")], crlf=True))
    assert np.array_equal(ds.images[0], img)


def test_select_split_and_aliases(tmp_path, gen):
    ds = load_fer2013(gen.fer2013_csv(tmp_path / "f.csv", rows_one_per_code(gen)))
    assert len(ds.select_split("train")) == 7
    assert set(ds.select_split("valid").images[:, 0, 0].tolist()) == set(range(10, 17))
    assert set(ds.select_split("PrivateTest").images[:, 0, 0].tolist()) == set(range(20, 27))
    with pytest.raises(DataError, match="unknown split"):
        ds.select_split("holdout")


def test_subset_with_aliases(tmp_path, gen):
    path = gen.fer2013_csv(tmp_path / "f.csv", rows_one_per_code(gen))
    ds = load_dataset(path, emotions="calm,angry,happy")
    assert ds.label_names == ("neutral", "anger", "happiness")
    assert len(ds) == 9
    # pixel values tell the original code: neutral=6 -> 0, anger=0 -> 1, happiness=3 -> 2
    want = {6: 0, 0: 1, 3: 2}
    assert all(want[int(v) % 10] == lab for v, lab in zip(ds.images[:, 0, 0], ds.labels))
    assert ds.split is not None and len(ds.select_split("test")) == 3
    with pytest.raises(UnknownEmotionError, match="contempt"):
        load_dataset(path, emotions="contempt")


def test_merge_disgust_into_anger(tmp_path, gen):
    ds = load_fer2013(gen.fer2013_csv(tmp_path / "f.csv", rows_one_per_code(gen))).merge({"disgust": "anger"})
    assert ds.label_names == ("anger", "fear", "happiness", "sadness", "surprise", "neutral")
    assert len(ds) == 21
    assert ds.counts()["Training"] == {"anger": 2, "fear": 1, "happiness": 1, "sadness": 1, "surprise": 1, "neutral": 1}
    code = ds.images[:, 0, 0] % 10
    assert (ds.labels[code == 1] == 0).all() and (ds.labels[code == 6] == 5).all()


def bad_rows(gen):
    good = gen.flat(7)
    return [
        (3, good, "Training"),
        (3, " ".join(["1"] * 100), "Training"),  # pixel row of the wrong length
        (9, good, "Training"),  # unknown emotion code
        (4, good, "Training"),
        ("x", good, "PublicTest"),  # not an integer code
        (2, good, "Holdout"),  # unknown usage
        (5, good, "PrivateTest"),
    ]


def test_bad_rows_skipped_and_counted(tmp_path, gen):
    path = gen.fer2013_csv(tmp_path / "bad.csv", bad_rows(gen))
    with pytest.warns(UserWarning, match=r"skipped 4 bad record\(s\)") as rec:
        ds = load_fer2013(path)
    msg = str(rec[0].message)
    assert "pixel row of length 100" in msg and "unknown emotion code" in msg
    assert ds.skipped == 4
    assert ds.labels.tolist() == [3, 4, 5]
    assert ds.ids.tolist() == [0, 3, 6]  # row ids stay those of the file, for joining FER+ labels


def test_bad_rows_strict(tmp_path, gen):
    path = gen.fer2013_csv(tmp_path / "bad.csv", bad_rows(gen))
    with pytest.raises(DataError, match="row 3: pixel row of length 100"):
        load_fer2013(path, strict=True)


def test_bad_files(tmp_path, gen):
    with pytest.raises(DataError, match="no such file"):
        load_dataset(tmp_path / "missing.csv", kind="fer2013")
    (tmp_path / "wrong.csv").write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match="header"):
        load_fer2013(tmp_path / "wrong.csv")
    only_bad = gen.fer2013_csv(tmp_path / "allbad.csv", [(3, "1 2 3", "Training")])
    with pytest.raises(DataError, match="no usable rows"):
        load_fer2013(only_bad)
    with pytest.raises(UnknownNameError, match="unknown dataset kind 'imagenet'"):
        load_dataset(only_bad, kind="imagenet")
