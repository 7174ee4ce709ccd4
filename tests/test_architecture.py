"""The package's shape: the public names, one home for exceptions, an import graph without circles or upward edges,
and the `Recognizer` protocol that types stream/ and batch/."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import emopy
import emopy.errors

SRC = Path(emopy.__file__).parent

PUBLIC = {
    "EMOTIONS",
    "BodyTooSlow",
    "CalibrationError",
    "ConfigError",
    "DataError",
    "Dataset",
    "DecodeTimeout",
    "EmopyError",
    "FERModel",
    "FetchError",
    "ImageDecodeError",
    "MissingExtraError",
    "ModelFileError",
    "PayloadTooLarge",
    "SourceError",
    "StoryError",
    "UnknownEmotionError",
    "UnknownModelError",
    "UnknownNameError",
    "UnknownStory",
    "__version__",
    "create_model",
    "list_models",
    "list_pretrained",
    "load_dataset",
    "resolve",
}
# Each package may import its own layer and the layers below it; `core` is the top-level modules.
LAYERS = {
    "core": 0,
    "data": 1,
    "models": 1,
    "stream": 1,
    "predict": 2,
    "train": 3,
    "batch": 4,
    "serve": 4,
    "experiments": 4,
    "cli": 5,
    "__main__": 6,
}


def test_the_public_names_are_pinned_and_all_resolve():
    assert set(emopy.__all__) == PUBLIC
    for name in emopy.__all__:
        assert getattr(emopy, name) is not None, name


def test_every_exception_lives_in_errors_and_is_exported():
    defined = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                getattr(b, "id", "").endswith(("Error", "Exception")) for b in node.bases
            ):
                defined.append((path.relative_to(SRC).as_posix(), node.name))
    assert defined and {p for p, _ in defined} == {"errors.py"}, defined
    members = {
        n: c for n, c in inspect.getmembers(emopy.errors, inspect.isclass) if issubclass(c, emopy.errors.EmopyError)
    }
    assert {c.__name__ for c in members.values()} == {n for _, n in defined}  # former names are aliases
    assert set(members) <= set(emopy.__all__)


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for p in SRC.rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):  # imports inside functions count too
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            edges[mod] |= {t for t in targets if t in files and t != mod}
    return edges


def _layer(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 and (parts[1] in LAYERS) else "core"


def test_no_import_goes_up_a_layer():
    upward = [(m, t) for m, ts in _graph().items() for t in ts if LAYERS[_layer(t)] > LAYERS[_layer(m)]]
    assert not upward


def test_the_import_graph_has_no_circle():
    edges, state, cycles = _graph(), {}, []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles


def test_stream_and_batch_are_typed_by_the_recognizer_protocol(tmp_path, monkeypatch):
    """mypy: FERModel is a `Recognizer`, something else is not, and stream/ and batch/ type-check against it."""
    mypy = pytest.importorskip("mypy.api", reason="the dev extra is not installed: pip install 'emopy-fer[dev]'")
    check = tmp_path / "check.py"
    check.write_text(
        "from emopy.predict import FERModel\n"
        "from emopy.recognizer import Recognizer\n"
        "\n"
        "model: Recognizer = FERModel()\n"
        "not_a_model: Recognizer = object()\n"
    )
    typed = [SRC / "recognizer.py", SRC / "results", SRC / "stream" / "stream.py", SRC / "stream" / "calibration.py"]
    typed += [SRC / "batch" / "work.py", SRC / "batch" / "local.py", SRC / "batch" / "results.py"]
    monkeypatch.setenv("MYPYPATH", str(SRC.parent))  # this checkout's emopy, however it is installed
    out, err, status = mypy.run(
        [str(check), *map(str, typed), "--follow-imports=silent", "--ignore-missing-imports"]
        + ["--cache-dir", str(tmp_path / "cache")]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1 and len(errors) == 1 and errors[0].startswith(f"{check}:5:"), out + err
