"""An ensemble folded into one ONNX graph: one onnxruntime session, members' log-probabilities weighted and summed.

Each member's logits (the input of its final Softmax) are restricted to the output labels, divided by the member's
temperature and turned into log-probabilities; the fused output is softmax(sum_i w_i * logp_i + bias). The class
bias carries the prior correction. Identical initializers and identical nodes of the members are merged, so the heads
of one joint model share a single trunk and cost what one model costs. Weights and bias are fitted on validation
data of two domains (`fit_fusion`): FER+ Valid (in-the-wild faces, people's majority label) and a posed set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..cards import file_sha256, write_card
from ..errors import ConfigError, ModelFileError, require
from ..predict.runtime import Classifier

onnx = require("onnx", "train")
from onnx import helper, numpy_helper  # noqa: E402

PREFIX = "fusion/"  # names of the fusion tail

PASS_THROUGH = ("QuantizeLinear", "DequantizeLinear", "Identity")


@dataclass(frozen=True)
class Fusion:
    """How members combine: one weight per member and output label (M x C), one bias per output label."""

    weights: tuple[tuple[float, ...], ...]
    bias: tuple[float, ...]


def _logits(graph) -> str:
    """The tensor a member's output probabilities are the softmax of (through any quantise/dequantise pairs)."""
    producer = {o: n for n in graph.node for o in n.output}
    name = graph.output[0].name
    while name in producer and producer[name].op_type in PASS_THROUGH:
        name = producer[name].input[0]
    node = producer.get(name)
    if node is None or node.op_type != "Softmax":
        raise ModelFileError(f"{graph.name or 'member'}: its output is not a Softmax; only emopy exports can be fused")
    return node.input[0]


def _prefixed(model, tag: str) -> tuple[list, list, str]:
    """A member's nodes and initializers with every name but the input `pixels` prefixed by `tag`; and its logits
    tensor. Unprefixed, the first member's names stay state-dict names, so its trunk can start a fine-tune."""
    g = model.graph
    outputs = {o.name for o in g.output}  # its "probabilities" never clashes with the fused output

    def rename(name: str) -> str:
        return name if name in ("", "pixels") or not (tag or name in outputs) else f"{tag or 'm0/'}{name}"

    nodes = []
    for n in g.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(n)
        copy.name = rename(n.name)
        copy.input[:] = [rename(i) for i in n.input]
        copy.output[:] = [rename(o) for o in n.output]
        nodes.append(copy)
    inits = []
    for t in g.initializer:
        copy = onnx.TensorProto()
        copy.CopyFrom(t)
        copy.name = rename(t.name)
        inits.append(copy)
    return nodes, inits, rename(_logits(g))


def _merge_shared(nodes: list, inits: list, outputs: Sequence[str]) -> tuple[list, list]:
    """Merge identical initializers and then identical nodes (same op, inputs, attributes), drop what no output
    needs: members that share a trunk run it once."""
    alias: dict[str, str] = {}
    kept_inits = []
    by_content: dict[tuple[int, tuple[int, ...], str], str] = {}  # (type, shape, sha256): first name
    for t in inits:
        key = (t.data_type, tuple(t.dims), hashlib.sha256(numpy_helper.to_array(t).tobytes()).hexdigest())
        if key in by_content:
            alias[t.name] = by_content[key]
        else:
            by_content[key] = t.name
            kept_inits.append(t)
    seen: dict[tuple, list[str]] = {}
    merged = []
    for n in nodes:
        n.input[:] = [alias.get(i, i) for i in n.input]
        node_key = (n.domain, n.op_type, tuple(n.input), tuple(a.SerializeToString() for a in n.attribute))
        if node_key in seen:
            alias.update(zip(n.output, seen[node_key]))
            continue
        seen[node_key] = list(n.output)
        merged.append(n)
    needed, kept = set(outputs), []
    for n in reversed(merged):
        if needed.intersection(n.output):
            needed.update(n.input)
            kept.append(n)
    return kept[::-1], [t for t in kept_inits if t.name in needed]


def fused_graph(
    members: Sequence[Classifier], labels: Sequence[str], fusion: Fusion | None = None, *, member_outputs: bool = False
):
    """The fused ModelProto over `labels` (weights 1 and bias 0 when `fusion` is None); `member_outputs` adds each
    member's log-probabilities as outputs `member0`, `member1`, ... (what `fit_fusion` fits on)."""
    labels = list(labels)
    fusion = fusion or Fusion(((1.0,) * len(labels),) * len(members), (0.0,) * len(labels))
    if np.shape(fusion.weights) != (len(members), len(labels)) or len(fusion.bias) != len(labels):
        raise ConfigError(f"a fusion of {len(members)} members over {len(labels)} labels needs M x C weights, C biases")
    nodes, inits, terms = [], [], []
    protos = [onnx.load(str(clf.path)) for clf in members]  # each member file read once
    for i, (clf, model) in enumerate(zip(members, protos)):
        missing = [e for e in labels if e not in clf.labels]
        if missing:
            raise ConfigError(f"member {clf.card.name} does not predict {', '.join(missing)}")
        n, t, logits = _prefixed(model, f"m{i}/" if i else "")  # the first member keeps its tensor names
        nodes += n
        inits += t
        p = f"{PREFIX}m{i}/"
        cols = np.array([clf.labels.index(e) for e in labels], np.int64)
        inits += [
            numpy_helper.from_array(cols, p + "columns"),
            numpy_helper.from_array(np.array(clf.card.temperature, np.float32), p + "temperature"),
            numpy_helper.from_array(np.asarray(fusion.weights[i], np.float32), p + "weight"),
        ]
        nodes += [
            helper.make_node("Gather", [logits, p + "columns"], [p + "logits"], axis=1, name=p + "gather"),
            helper.make_node("Div", [p + "logits", p + "temperature"], [p + "scaled"], name=p + "div"),
            helper.make_node("LogSoftmax", [p + "scaled"], [f"member{i}"], axis=1, name=p + "logsoftmax"),
            helper.make_node("Mul", [f"member{i}", p + "weight"], [p + "term"], name=p + "mul"),
        ]
        terms.append(p + "term")
    inits.append(numpy_helper.from_array(np.asarray(fusion.bias, np.float32), PREFIX + "bias"))
    nodes += [
        helper.make_node("Sum", terms, [PREFIX + "sum"], name=PREFIX + "sum"),
        helper.make_node("Add", [PREFIX + "sum", PREFIX + "bias"], [PREFIX + "logits"], name=PREFIX + "add"),
        helper.make_node("Softmax", [PREFIX + "logits"], ["probabilities"], axis=1, name=PREFIX + "softmax"),
    ]
    outputs = ["probabilities"] + ([f"member{i}" for i in range(len(members))] if member_outputs else [])
    nodes, inits = _merge_shared(nodes, inits, outputs)
    first = protos[0]
    out_info = [helper.make_tensor_value_info(o, onnx.TensorProto.FLOAT, ["batch", len(labels)]) for o in outputs]
    graph = helper.make_graph(nodes, "emopy_fusion", list(first.graph.input), out_info, inits)
    opsets = {o.domain: o.version for m in protos for o in m.opset_import}
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()])
    model.ir_version = first.ir_version
    onnx.checker.check_model(model)
    return model


def member_logp(members: Sequence[Classifier], labels: Sequence[str], *face_sets: np.ndarray) -> list[np.ndarray]:
    """For each set of face crops, M x N x len(labels) member log-probabilities, from the fused graph itself (one
    session for all sets)."""
    import onnxruntime as ort

    session = ort.InferenceSession(
        fused_graph(members, labels, member_outputs=True).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    out = []
    for faces in face_sets:
        x = members[0].preprocess(faces)
        parts = [session.run(None, {"pixels": x[i : i + 256]})[1:] for i in range(0, len(x), 256)]
        out.append(np.stack([np.concatenate([p[m] for p in parts]) for m in range(len(members))]))
    return out


def fit_fusion(
    wild: tuple[np.ndarray, np.ndarray],
    posed: tuple[np.ndarray, np.ndarray],
    posed_weight: float = 1.0,
    l2: float = 1e-3,
    per_class: bool = True,
) -> Fusion:
    """Per-class member weights and class biases minimising cross-entropy on the in-the-wild faces plus
    `posed_weight` times the class-balanced cross-entropy on the posed faces (whose labels may cover only some of
    the output labels); `l2` pulls weights toward 1 and biases toward 0. Without `per_class`, each member has one
    weight for every label.

    Each pair is (M x N x C member log-probabilities, N label indices over the C output labels).
    """
    torch = require("torch", "train")
    fn = torch.nn.functional
    (xw, yw), (xp, yp) = [(torch.tensor(x, dtype=torch.float32), torch.tensor(y)) for x, y in (wild, posed)]
    present = torch.unique(yp)
    counts = torch.bincount(yp, minlength=xw.shape[2]).float()
    class_weight = torch.where(counts > 0, 1.0 / counts.clamp(min=1), torch.zeros_like(counts))
    class_weight = class_weight / class_weight[present].mean()
    w = torch.ones(xw.shape[0], xw.shape[2] if per_class else 1, requires_grad=True)
    b = torch.zeros(xw.shape[2], requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=300, line_search_fn="strong_wolfe")

    def loss():
        opt.zero_grad()
        full = w.expand(xw.shape[0], xw.shape[2])
        zw = torch.einsum("mc,mnc->nc", full, xw) + b
        zp = (torch.einsum("mc,mnc->nc", full, xp) + b)[:, present]
        remap = torch.searchsorted(present, yp)
        total = fn.cross_entropy(zw, yw) + posed_weight * fn.cross_entropy(zp, remap, weight=class_weight[present])
        total = total + l2 * ((b**2).sum() + ((w - 1) ** 2).sum())
        total.backward()
        return total

    opt.step(loss)
    return Fusion(
        tuple(tuple(round(float(v), 5) for v in row) for row in w.detach().expand(xw.shape[0], xw.shape[2])),
        tuple(round(float(v), 5) for v in b.detach()),
    )


def write_fused(
    members: Sequence[Classifier], labels: Sequence[str], fusion: Fusion, out: str | Path, command: str = "", **card
) -> Path:
    """Save the fused graph with a card built from the first member's (preprocessing) and `card` overrides;
    `command` is how it was made."""
    shapes = {(m.card.image_size, m.card.input_size, m.card.mean, m.card.std, m.card.frames) for m in members}
    if len(shapes) > 1:
        raise ConfigError("members must share preprocessing (image size, input size, mean, std, frames) to be fused")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    graph = fused_graph(members, labels, fusion)
    onnx.save(graph, str(out))
    first = members[0].card
    fields = {
        "labels": tuple(labels),
        "metrics": {},
        "temperature": 1.0,
        "balance": 0.0,
        "reference": {},
        "params": int(sum(np.prod(t.dims) for t in graph.graph.initializer if t.data_type == 1)),
        "weights_sha256": file_sha256(out),
        "training": {
            "command": command,
            "fusion": {
                "members": [{"name": m.card.name, "weights_sha256": m.card.weights_sha256} for m in members],
                "weights": [list(row) for row in fusion.weights],
                "bias": list(fusion.bias),
                "temperatures": [m.card.temperature for m in members],
            },
        },
    }
    write_card(out, replace(first, **{**fields, **card}))
    return out


def fuse_models(
    members: Sequence[str | Path],
    out: str | Path,
    root: str | Path | None = None,
    *,
    labels: Sequence[str] | None = None,
    posed_weight: float = 1.0,
    name: str | None = None,
) -> Path:
    """Fit a fusion of `members` on FER+ Valid and CK+48 (the scoreboard's validation columns), write it to `out`
    and measure its card on FER+ Valid / Test. `labels`: the output labels (default: those every member predicts)."""
    from ..data import load_dataset
    from ..paths import default_data_dir
    from ..portable import portable
    from .domains import load_columns
    from .evaluate import measure_card

    root = Path(root or default_data_dir())
    clfs = [Classifier(m) for m in members]
    labels = list(labels or [e for e in clfs[0].labels if all(e in c.labels for c in clfs)])
    columns = load_columns(root)
    (wild, yw, _), (posed, yp, _) = (columns[c].indexed(labels) for c in ("ferplus_valid", "ckplus48"))
    xw, xp = member_logp(clfs, labels, wild, posed)
    fusion = fit_fusion((xw, yw), (xp, yp), posed_weight)
    fused_name = name or Path(out).stem
    protocol = (
        f"fusion of {', '.join(c.card.name for c in clfs)}: member weights and class biases fitted on FER+ Valid "
        f"(majority labels) plus {posed_weight:g} x class-balanced CK+48 (6 classes); FER+ Test reported once"
    )
    command = " ".join(["emopy fuse", *(portable(m) for m in members), "--out", portable(out), "--name", fused_name])
    path = write_fused(clfs, labels, fusion, out, name=fused_name, protocol=protocol, command=command)
    plus = load_dataset(root / "fer2013/fer2013.csv.gz", ferplus_labels=root / "ferplus/fer2013new.csv")
    measure_card(path, val=plus.select_split("PublicTest"), test=plus.select_split("PrivateTest"))
    return path
