"""Shared fixtures: the shared datasets (skipped when absent) and small generated datasets.

Nothing here is a dataset file: every fixture writes what it needs under pytest's tmp folders.
"""

from __future__ import annotations

import gzip
import os
import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FER2013_CODES = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")  # code 0..6
FERPLUS_HEADER = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"


# ---- the shared datasets ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder ($EMOPY_DATA, else ../shared/data beside the project), or skip."""
    env = os.environ.get("EMOPY_DATA")
    path = Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(
            f"shared datasets not found at {path} (set EMOPY_DATA to the folder holding fer2013/, ferplus/, ckplus48/)"
        )
    return path


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent from the shared datasets")
    return path


@pytest.fixture(scope="session")
def fer2013_csv(data_dir) -> Path:
    return _need(data_dir / "fer2013" / "fer2013.csv.gz")


@pytest.fixture(scope="session")
def ferplus_csv(data_dir) -> Path:
    return _need(data_dir / "ferplus" / "fer2013new.csv")


@pytest.fixture(scope="session")
def ckplus_dir(data_dir) -> Path:
    return _need(data_dir / "ckplus48")


@pytest.fixture(scope="session")
def fer2013_slice(fer2013_csv, tmp_path_factory) -> Path:
    """The first 64 rows of each split of the real FER2013, as a small gzip CSV (streamed, not parsed)."""
    out = tmp_path_factory.mktemp("fer2013-slice") / "fer2013-slice.csv.gz"
    kept: dict[str, int] = {}
    with gzip.open(fer2013_csv, "rt", newline="") as src, gzip.open(out, "wt", newline="") as dst:
        dst.write(next(src))
        for line in src:
            usage = line.rstrip("\r\n").rsplit(",", 1)[-1]
            if kept.get(usage, 0) < 64:
                kept[usage] = kept.get(usage, 0) + 1
                dst.write(line)
    assert kept == {"Training": 64, "PublicTest": 64, "PrivateTest": 64}
    return out


# ---- generated data ---------------------------------------------------------------------------
def pattern(k: int, rng: np.random.Generator, size: int = 48, shift: int | None = None) -> np.ndarray:
    """A noisy size x size uint8 image whose texture tells class k (0..3) apart, under crop and flip.

    0: horizontal stripes, 1: vertical stripes, 2: checkerboard, 3: flat mid-gray.
    """
    yy, xx = np.mgrid[:size, :size]
    s = int(rng.integers(0, 8)) if shift is None else shift
    base = rng.normal(0, 12, (size, size))
    if k == 0:
        base += 40 + 170 * (((yy + s) // 4) % 2)
    elif k == 1:
        base += 40 + 170 * (((xx + s) // 4) % 2)
    elif k == 2:
        base += 40 + 170 * ((((xx + s) // 6) + ((yy + s) // 6)) % 2)
    else:
        base += 125
    return np.clip(base, 0, 255).astype(np.uint8)


def write_image(path: Path, img: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img), path
    return path


def class_folders(root: Path, classes=("anger", "happy", "sad", "calm"), n: int = 40, seed: int = 0) -> Path:
    """root/<class>/S<subject>_<seq>_<frame>.png, one pattern per class (class i gets pattern i)."""
    rng = np.random.default_rng(seed)
    for k, name in enumerate(classes):
        for i in range(n):
            write_image(root / name / f"S{k}{i:03d}_001_{i:08d}.png", pattern(k, rng))
    return root


def sequence_folders(root: Path, classes=("anger", "happy", "sad"), n: int = 8, frames: int = 4, seed: int = 0) -> Path:
    """root/<class>/<sequence>/fNN.png: a moving pattern per class, `frames` frames per sequence."""
    rng = np.random.default_rng(seed)
    for k, name in enumerate(classes):
        for s in range(n):
            for t in range(frames):
                write_image(root / name / f"S{k}{s:02d}_001" / f"f{t:02d}.png", pattern(k, rng, shift=t))
    return root


def pixels(img: np.ndarray) -> str:
    return " ".join(str(int(v)) for v in img.ravel())


def fer2013_csv_file(path: Path, rows, gz: bool = False, crlf: bool = False) -> Path:
    """Write a FER2013-format CSV; rows are (emotion code, 48x48 uint8 image or raw pixel string, usage)."""
    nl = "\r\n" if crlf else "\n"
    lines = ["emotion,pixels,Usage"]
    for code, img, usage in rows:
        lines.append(f"{code},{img if isinstance(img, str) else pixels(img)},{usage}")
    text = nl.join(lines) + nl
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(path, "wt", newline="") as fh:
            fh.write(text)
    else:
        path.write_text(text, newline="")
    return path


def fer2013_pattern_rows(per_split=(40, 12, 12), seed: int = 0):
    """Separable FER2013 rows: codes 0, 3, 4, 6 (anger, happiness, sadness, neutral) get patterns 0..3."""
    rng = np.random.default_rng(seed)
    codes = (0, 3, 4, 6)
    rows = []
    for usage, n in zip(("Training", "PublicTest", "PrivateTest"), per_split):
        for i in range(n):
            k = i % 4
            rows.append((codes[k], pattern(k, rng), usage))
    return rows


def flat(value: int) -> np.ndarray:
    return np.full((48, 48), value, np.uint8)


@pytest.fixture(scope="session")
def gen():
    """The data generators above, for tests that write their own fixtures in tmp_path."""
    return types.SimpleNamespace(
        pattern=pattern,
        write_image=write_image,
        class_folders=class_folders,
        sequence_folders=sequence_folders,
        fer2013_csv=fer2013_csv_file,
        fer2013_pattern_rows=fer2013_pattern_rows,
        pixels=pixels,
        flat=flat,
        FER2013_CODES=FER2013_CODES,
        FERPLUS_HEADER=FERPLUS_HEADER,
    )


@pytest.fixture(scope="session")
def blob_folders(tmp_path_factory) -> Path:
    """Four separable classes as class folders (alias names: anger, happy, sad, calm), 40 PNGs each."""
    return class_folders(tmp_path_factory.mktemp("blobs") / "faces")


@pytest.fixture(scope="session")
def seq_folders(tmp_path_factory) -> Path:
    """Three separable classes of 4-frame sequences (8 per class): 2 windows of 3 frames each."""
    return sequence_folders(tmp_path_factory.mktemp("seqs") / "sequences")


@pytest.fixture(scope="session")
def cli():
    """Invoke the `emopy` Typer app in-process: cli("data", "info", path) -> click Result."""
    from typer.testing import CliRunner

    from emopy.cli import app

    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


@pytest.fixture(scope="session")
def train_run(cli, tmp_path_factory):
    """train_run(arch, data, *extra) -> run folder of `emopy train` (in-process, 1 thread), cached per arguments."""
    cache: dict[tuple, Path] = {}

    def run(arch: str, data: Path, *extra) -> Path:
        key = (arch, str(data), *map(str, extra))
        if key not in cache:
            out = tmp_path_factory.mktemp(f"run-{arch}")
            res = cli("train", "--arch", arch, "--data", data, "--out", out, "--set", "threads=1", *extra)
            assert res.exit_code == 0, f"emopy train failed:\n{res.output}\n{res.exception!r}"
            cache[key] = out
        return cache[key]

    return run


@pytest.fixture(scope="session")
def blob_run(train_run, blob_folders) -> Path:
    """vgg_small trained by `emopy train` for 5 epochs on the separable class folders (about 10 s)."""
    return train_run("vgg_small", blob_folders, "--epochs", 5, "--set", "optimisation.batch_size=16", "--seed", 0)


def emopy_command() -> list[str]:
    """How a user starts the CLI: the `emopy` script of this environment (or the same entry point)."""
    script = Path(sys.executable).with_name("emopy")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from emopy.cli import main; main()"]


@pytest.fixture(scope="session")
def emopy_cmd() -> list[str]:
    return emopy_command()


# ---- the server in-process ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def predictor():
    """The server's predictor (default model, SSD detector), loaded once."""
    from emopy.serve.predictor import Predictor

    return Predictor("default", "ssd", threads=1)


@pytest.fixture()
def make_client(tmp_path, predictor):
    """make_client(**settings) -> a started TestClient on a fresh SQLite file."""
    from fastapi.testclient import TestClient

    from emopy.serve import Settings, create_app

    clients = []

    def make(**kw):
        settings = Settings(
            **{"db": f"sqlite:///{tmp_path / 'emopy.db'}", "allowed_hosts": ["testserver"], **kw}
        )  # TestClient's Host
        client = TestClient(create_app(settings, predictor=predictor))
        clients.append(client.__enter__())
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture()
def client(make_client):
    return make_client()


@pytest.fixture()
def stored_client(make_client, db_url):
    """A client on each database backend in turn (SQLite file, PostgreSQL), for the storage tests; it sends the API
    key."""
    client = make_client(db=db_url, api_key="s3cret")
    client.headers["X-API-Key"] = "s3cret"
    return client


# ---- PostgreSQL ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server URL: $EMOPY_TEST_POSTGRES, else a throwaway local cluster, else skip saying why."""
    pytest.importorskip("psycopg", reason="the PostgreSQL driver is not installed: pip install 'emopy-fer[server]'")
    if os.environ.get("EMOPY_TEST_POSTGRES"):
        yield os.environ["EMOPY_TEST_POSTGRES"]
        return
    from _postgres import TempPostgres

    try:
        server = TempPostgres()
        url = server.start()
    except (RuntimeError, OSError) as exc:
        pytest.skip(f"no PostgreSQL to test against: {exc}")
    yield url
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh database URL for each backend the server supports: a SQLite file, a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'emopy.db'}"
        return
    from _postgres import drop_database, fresh_database

    server = request.getfixturevalue("postgres_server")
    name = f"emopy_test_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    yield fresh_database(server, name).replace("+psycopg", "")  # plain postgresql://, as a user writes it
    drop_database(server, name)
