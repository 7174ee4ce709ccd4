"""One rule for turning files, folders and globs into inputs: natural order, empty matches kept or refused."""

from __future__ import annotations

import pytest

from emopy.errors import DataError
from emopy.paths import expand_paths


def test_folders_and_globs_expand_in_natural_order_and_keep_folders_together(tmp_path):
    for rel in ("b/frame10.png", "b/frame2.png", "a/frame3.jpg", "a/notes.txt", "c/clip.mp4"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    got = [p.removeprefix(str(tmp_path) + "/") for p in expand_paths([tmp_path])]
    assert got == ["a/frame3.jpg", "b/frame2.png", "b/frame10.png"]  # images only; frame2 before frame10
    videos = expand_paths([tmp_path], (".png", ".mp4"))
    assert [p.rsplit("/", 1)[-1] for p in videos] == ["frame2.png", "frame10.png", "clip.mp4"]
    assert [p.rsplit("/", 1)[-1] for p in expand_paths([f"{tmp_path}/b/*.png"])] == ["frame2.png", "frame10.png"]


def test_nothing_matched_is_kept_to_fail_visibly_or_refused_when_strict(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "notes" / "b").mkdir(parents=True)
    for name in ("b/z.txt", "a.txt", "clip.mp4"):
        (tmp_path / "notes" / name).write_text("x")
    specs = [tmp_path / "empty", tmp_path / "notes", f"{tmp_path}/none-*.jpg", tmp_path / "missing.jpg"]
    assert expand_paths(specs) == [str(s) for s in specs]
    with pytest.raises(DataError, match=r"empty: folder is empty$"):
        expand_paths([tmp_path / "empty"], strict=True)
    with pytest.raises(DataError, match=r"notes: folder has no image files \(found 3 files, e\.g\. a\.txt; image "):
        expand_paths([tmp_path / "notes"], strict=True)
    with pytest.raises(DataError, match=r"notes: folder has no image or video files \(found 3 files, e\.g\. a\.txt"):
        expand_paths([tmp_path / "notes"], (".png", ".mov"), strict=True, kind="image or video")
    with pytest.raises(DataError, match=r"none-\*\.jpg: glob matched nothing$"):
        expand_paths([f"{tmp_path}/none-*.jpg"], strict=True)
    assert expand_paths([tmp_path / "missing.jpg"], strict=True) == [str(tmp_path / "missing.jpg")]
