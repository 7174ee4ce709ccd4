"""Class-folder and sequence-folder loaders on generated images; bad files; splitting by group."""

import cv2
import numpy as np
import pytest

from emopy.data import detect_kind, load_dataset, load_image_folders, load_sequence_folders, split_by_group
from emopy.errors import DataError


def encoded(img: np.ndarray, ext: str) -> bytes:
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


@pytest.fixture()
def mixed(tmp_path, gen):
    """happy/ (jpg 64x80 colour, png 48x48), calm/ (bmp 30x30), anger/ (png 100x100), value = class marker."""
    root = tmp_path / "faces"
    gen.write_image(root / "happy" / "a.jpg", np.full((80, 64, 3), 200, np.uint8))
    gen.write_image(root / "happy" / "b.png", np.full((48, 48), 200, np.uint8))
    gen.write_image(root / "calm" / "c.bmp", np.full((30, 30), 100, np.uint8))
    gen.write_image(root / "anger" / "d.PNG", np.full((100, 100), 20, np.uint8))
    (root / "anger" / "notes.txt").write_text("not an image, not listed")
    return root


def test_class_folders_formats_sizes_aliases(mixed):
    assert detect_kind(mixed) == "folders"
    ds = load_dataset(mixed)
    assert ds.label_names == ("anger", "happiness", "neutral")  # canonical names, canonical order
    assert ds.images.shape == (4, 48, 48) and ds.images.dtype == np.uint8
    names = [ds.label_names[i] for i in ds.labels]
    assert sorted(names) == ["anger", "happiness", "happiness", "neutral"]
    for img, name in zip(ds.images, names):
        want = {"anger": 20, "happiness": 200, "neutral": 100}[name]
        assert abs(int(np.median(img)) - want) <= 3  # jpg is lossy; resizing keeps flat images flat
    assert ds.split is None and ds.skipped == 0
    assert ds.counts() == {"all": {"anger": 1, "happiness": 2, "neutral": 1}}


def test_class_folders_size_option(mixed):
    assert load_image_folders(mixed, size=32).images.shape == (4, 32, 32)


def test_class_folders_subset_and_merge(mixed):
    ds = load_dataset(mixed, emotions=["calm", "happy"])
    assert ds.label_names == ("neutral", "happiness")
    assert sorted(ds.labels.tolist()) == [0, 1, 1]
    merged = load_dataset(mixed).merge({"neutral": "happiness"})
    assert merged.label_names == ("anger", "happiness") and merged.labels.tolist().count(1) == 3


@pytest.fixture()
def broken(mixed, gen):
    png = encoded(np.full((48, 48), 90, np.uint8), ".png")
    jpg = encoded(np.random.default_rng(0).integers(0, 255, (48, 48), dtype=np.uint8), ".jpg")
    (mixed / "happy" / "garbage.png").write_bytes(b"this is not an image")
    (mixed / "happy" / "truncated.png").write_bytes(png[: len(png) // 2])
    (mixed / "calm" / "truncated.jpg").write_bytes(jpg[: len(jpg) // 2])
    (mixed / "calm" / "empty.jpg").write_bytes(b"")
    gen.write_image(mixed / "bored" / "x.png", np.zeros((48, 48), np.uint8))  # unknown label folder
    return mixed


def test_bad_files_skipped_and_counted(broken):
    with pytest.warns(UserWarning, match=r"skipped 5 bad record\(s\)") as rec:
        ds = load_image_folders(broken)
    msg = str(rec[0].message)
    for reason in (
        "truncated PNG",
        "truncated JPEG",
        "not a readable image",
        "folder name is not an emotion",
        "empty input",
    ):
        assert reason in msg
    assert ds.skipped == 5
    assert len(ds) == 4


def test_bad_files_strict(broken):
    with pytest.raises(DataError, match="folder name is not an emotion"):
        load_image_folders(broken, strict=True)
    (broken / "bored" / "x.png").unlink()
    (broken / "bored").rmdir()
    with pytest.raises(DataError, match="truncated|not a readable|empty"):
        load_image_folders(broken, strict=True)


def test_no_class_folders(tmp_path, gen):
    gen.write_image(tmp_path / "misc" / "a.png", np.zeros((48, 48), np.uint8))
    with pytest.raises(DataError, match="no class folders"):
        load_image_folders(tmp_path)
    with pytest.raises(DataError, match="no such file or folder"):
        load_dataset(tmp_path / "nowhere")


def test_subject_groups_and_split_by_group(tmp_path, gen):
    root = tmp_path / "ck"
    rng = np.random.default_rng(0)
    for subject in range(20):
        for emotion in ("anger", "surprise"):
            for frame in range(3):
                gen.write_image(root / emotion / f"S{subject:03d}_00{frame % 2}_{frame:08d}.png", gen.pattern(0, rng))
    ds = load_image_folders(root)
    assert set(ds.groups.tolist()) == {f"S{s:03d}" for s in range(20)}
    sp = split_by_group(ds, seed=3)
    assert set(sp.split.tolist()) == {"Training", "PublicTest", "PrivateTest"}
    by_subject = {}
    for g, s in zip(sp.groups, sp.split):
        by_subject.setdefault(g, set()).add(s)
    assert all(len(s) == 1 for s in by_subject.values())  # a subject never spans two splits
    n_train = sum(1 for s in by_subject.values() if "Training" in s)
    assert n_train == 14  # 70% of 20 subjects
    again = split_by_group(ds, seed=3)
    assert (again.split == sp.split).all()  # deterministic for a seed
    assert split_by_group(sp) is sp  # a dataset with splits keeps them


# ---- sequences ---------------------------------------------------------------------------------
def test_sequence_windows(tmp_path, gen):
    root = tmp_path / "seqs"
    for emotion, n_frames, base in (("happy", 5, 100), ("sad", 3, 200)):
        for t in range(n_frames):
            gen.write_image(root / emotion / "S001_002" / f"{t:03d}.png", np.full((60, 60), base + t, np.uint8))
    assert detect_kind(root) == "sequences"
    ds = load_dataset(root, frames=3)
    assert ds.images.shape == (4, 3, 48, 48)  # 3 windows of the 5-frame sequence, 1 of the 3-frame one
    assert ds.label_names == ("happiness", "sadness")
    firsts = [tuple(int(w[t, 0, 0]) for t in range(3)) for w in ds.images]
    assert firsts == [(100, 101, 102), (101, 102, 103), (102, 103, 104), (200, 201, 202)]
    assert ds.labels.tolist() == [0, 0, 0, 1]
    assert ds.groups.tolist() == ["S001"] * 4
    with pytest.warns(UserWarning, match="skipped 1 bad record.*fewer than 5"):
        assert load_sequence_folders(root, frames=5).images.shape[:2] == (1, 5)


def test_sequence_bad_data(tmp_path, gen):
    root = tmp_path / "seqs"
    for t in range(4):
        gen.write_image(root / "anger" / "ok" / f"{t:02d}.png", np.full((48, 48), t, np.uint8))
        gen.write_image(root / "anger" / "broken" / f"{t:02d}.png", np.full((48, 48), t, np.uint8))
    png = (root / "anger" / "broken" / "02.png").read_bytes()
    (root / "anger" / "broken" / "02.png").write_bytes(png[:-20])
    gen.write_image(root / "fear" / "short" / "00.png", np.zeros((48, 48), np.uint8))
    gen.write_image(root / "meh" / "s" / "00.png", np.zeros((48, 48), np.uint8))
    with pytest.warns(UserWarning, match=r"skipped 3 bad record") as rec:
        ds = load_sequence_folders(root, frames=3)
    assert "fewer than 3" in str(rec[0].message) and "truncated PNG" in str(rec[0].message)
    assert ds.skipped == 3 and ds.images.shape == (2, 3, 48, 48)
    with pytest.raises(DataError):
        load_sequence_folders(root, frames=3, strict=True)
    with pytest.raises(DataError, match="frames must be"):
        load_sequence_folders(root, frames=0)
