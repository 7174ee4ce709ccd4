"""Training levers: tensor augmentation, fine-tuning from shipped weights, bf16 guard, calibrated model cards."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the training tests need emopy-fer[train] (torch)")

from emopy import FERModel  # noqa: E402
from emopy.data import load_dataset  # noqa: E402
from emopy.data.augment import build_augment  # noqa: E402
from emopy.errors import ConfigError  # noqa: E402
from emopy.models import create_model  # noqa: E402
from emopy.models.transfer import weights_state  # noqa: E402
from emopy.predict.runtime import Classifier, with_temperature  # noqa: E402
from emopy.train.batchnorm import recentre_batch_norm  # noqa: E402
from emopy.train.evaluate import calibration_error, fit_temperature  # noqa: E402
from emopy.train.mix import mix_batch  # noqa: E402
from emopy.train.sam import ascended  # noqa: E402


def sets(*assignments: str) -> list[str]:
    """`--set FIELD=VALUE` per assignment: recipe fields that have no flag of their own."""
    return [x for a in assignments for x in ("--set", a)]


def refused(cli, data, out, *assignments: str) -> str:
    """The output of `emopy train` on `data` with these recipe fields, which must stop it before any run folder."""
    res = cli("train", "--arch", "vgg_small", "--data", data, *sets(*assignments), "--out", out)
    assert res.exit_code == 2 and not out.exists(), res.output
    return res.output


def test_crop_flip_erase_take_windows_of_the_padded_image():
    torch.manual_seed(0)
    x = torch.arange(48 * 48, dtype=torch.float32).view(1, 1, 48, 48).repeat(64, 1, 1, 1) / 2304
    y = build_augment(("crop",), 44)(x)
    assert y.shape == (64, 1, 44, 44)
    padded = torch.nn.functional.pad(x[:1], (2, 2, 2, 2), mode="reflect")[0, 0]
    windows = {
        (dy, dx)
        for dy in range(5)
        for dx in range(5)
        for n in range(64)
        if torch.equal(y[n, 0], padded[dy : dy + 44, dx : dx + 44])
    }
    assert len(windows) > 5  # several random windows, each an exact window of the reflect-padded face
    centre = build_augment((), 44)(x)
    assert torch.equal(centre, x[:, :, 2:46, 2:46])
    flipped = build_augment(("flip",), 44)(x)
    is_flipped = [torch.equal(flipped[n], centre[n].flip(-1)) for n in range(64)]
    assert 10 < sum(is_flipped) < 54 and all(f or torch.equal(flipped[n], centre[n]) for n, f in enumerate(is_flipped))
    erased = build_augment(("erase",), 44)(x)
    changed = (erased != centre).flatten(1).any(1)
    assert 10 < int(changed.sum()) < 54


def test_domain_augmentation_keeps_shape_and_range():
    x = torch.rand(16, 1, 48, 48)
    y = build_augment(("crop", "flip", "domain"), 44)(x)
    assert y.shape == (16, 1, 44, 44) and float(y.min()) >= 0 and float(y.max()) <= 1
    with pytest.raises(ConfigError, match="unknown augmentation"):
        build_augment(("sharpen",), 44)


def test_fine_tuning_starts_from_the_shipped_weights(cli, fer2013_slice, ferplus_csv, tmp_path):
    out = tmp_path / "ft"
    res = cli(
        "train",
        "--arch",
        "vgg_small",
        "--data",
        fer2013_slice,
        "--ferplus-labels",
        ferplus_csv,
        "--set",
        "data.heads=fer2013,ferplus",
        "--set",
        "data.soft_labels=true",
        "--init",
        "default",
        "--epochs",
        1,
        "--set",
        "optimisation.lr=0",
        "--set",
        "optimisation.schedule=constant",
        "--set",
        "threads=1",
        "--out",
        out,
        "--set",
        "export=false",
    )
    assert res.exit_code == 0, res.output
    tuned = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=False)["model"]
    shipped = weights_state("default", head=True)  # the default's trunk and joint head (both label sets)
    for name in ("features.0.weight", "features.3.weight", "head.weight", "head.bias"):
        assert torch.equal(tuned[name], shipped[name]), name  # learning rate 0: the shipped weights, unchanged
    history = json.loads((out / "metrics.json").read_text())
    assert history[0]["val_acc_fer2013"] > 0.5  # (the slice's own labels) a random start scores ~0.2 on these 64 faces


def test_recentred_batch_norm_keeps_eval_outputs_and_brings_training_mode_to_them(blob_run, blob_folders):
    model = create_model("vgg_small", 4)
    model.load_state_dict(weights_state(blob_run / "vgg_small.emotions.onnx", head=True))
    for m in model.modules():  # running statistics unlike the data's, as after unfolding an int8 export
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.mul_(0.5), m.running_var.mul_(2.0)
    x = _blob_input(blob_folders)
    before = model.eval()(x).detach()
    assert float(before.std(0).min()) > 0.05  # outputs that depend on the face
    recentre_batch_norm(model, x.split(32))
    assert not model.training
    assert torch.allclose(model(x), before, atol=1e-4)  # eval mode predicts exactly as before
    first = model.features[1]  # the first batch norm holds the statistics of the first convolution's outputs
    assert torch.allclose(first.running_mean, model.features[0](x).mean((0, 2, 3)), atol=1e-4)
    model.train()
    model.dropout.eval()
    assert torch.allclose(model(x), before, atol=1e-3)  # batch statistics of the same faces: the same outputs


def _blob_input(folders) -> torch.Tensor:
    """The blob faces, centre-cropped and normalised as vgg_small takes them."""
    return (torch.from_numpy(load_dataset(folders).images[:, 2:46, 2:46]).float()[:, None] / 255 - 0.5) / 0.25


def test_init_from_an_int8_export_unfolds_batch_norm(cli, blob_run, blob_folders, tmp_path):
    int8 = tmp_path / "blob.int8.onnx"
    res = cli("quantize", "--model", blob_run / "vgg_small.emotions.onnx", "--data", blob_folders, "--out", int8)
    assert res.exit_code == 0, res.output
    float_model, unfolded = create_model("vgg_small", 4).eval(), create_model("vgg_small", 4).eval()
    float_model.load_state_dict(weights_state(blob_run / "vgg_small.emotions.onnx", head=True))
    unfolded.load_state_dict(weights_state(int8, head=True))  # every tensor, in the model's own names
    x = _blob_input(blob_folders)
    a, b = float_model(x).detach(), unfolded(x).detach()
    assert (a.argmax(1) == b.argmax(1)).float().mean() >= 0.95 and torch.allclose(a, b, atol=0.1 * float(a.abs().max()))
    out = tmp_path / "ft"
    res = cli(
        *("train", "--arch", "vgg_small", "--data", blob_folders, "--init", int8, "--epochs", 1, "--out", out),
        *sets("optimisation.lr=0", "optimisation.schedule=constant", "optimisation.batch_size=16", "threads=1"),
        *sets("export=false"),
    )
    assert res.exit_code == 0, res.output
    tuned = create_model("vgg_small", 4).eval()
    tuned.load_state_dict(torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=False)["model"])
    # batch norm re-centred on the faces before training mode ran: at learning rate 0 it still predicts as unfolded
    c = tuned(x).detach()
    assert (c.argmax(1) == b.argmax(1)).float().mean() >= 0.95 and torch.allclose(c, b, atol=0.1 * float(b.abs().max()))
    assert json.loads((out / "metrics.json").read_text())[0]["val_acc_emotions"] >= 0.9


def test_average_init_exports_the_midpoint_of_start_and_fine_tuned_weights(cli, blob_run, blob_folders, tmp_path):
    start = blob_run / "vgg_small.emotions.onnx"
    out = tmp_path / "ft"
    res = cli(
        *("train", "--arch", "vgg_small", "--data", blob_folders, "--init", start, "--epochs", 1, "--seed", 1),
        *sets("optimisation.lr=0.05", "optimisation.schedule=constant", "optimisation.batch_size=16", "threads=1"),
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    tuned = weights_state(out / "vgg_small.emotions.onnx", head=True)
    res = cli("export", out, "--average-init", 0.5)
    assert res.exit_code == 0, res.output
    averaged, init = weights_state(out / "vgg_small.emotions.onnx", head=True), weights_state(start, head=True)
    moved = [k for k in init if not torch.allclose(tuned[k], init[k])]
    assert "features.0.weight" in moved and "head.weight" in moved and any(k.endswith("running_mean") for k in moved)
    for k in init:
        assert torch.allclose(averaged[k], (init[k] + tuned[k]) / 2, atol=1e-6), k
    card = json.loads((out / "vgg_small.emotions.json").read_text())
    assert card["training"]["recipe"]["averaging"]["average_init"] == 0.5 and card["metrics"]["test"]["accuracy"] >= 0.9
    res = cli("export", out, "--average-init", 1.5)
    assert res.exit_code == 2 and "averaging.average_init: Input should be less than 1" in res.output
    assert "give model.init" in refused(cli, blob_folders, tmp_path / "no", "averaging.average_init=0.5")


def test_init_from_another_architecture_is_refused(cli, blob_folders, tmp_path):
    res = cli(
        "train",
        "--arch",
        "ConvolutionalNN",
        "--data",
        blob_folders,
        "--init",
        "ferplus",
        "--epochs",
        1,
        "--out",
        tmp_path / "x",
        "--set",
        "export=false",
    )
    assert res.exit_code == 2 and "not a ConvolutionalNN model" in res.output


def test_bf16_only_where_the_cpu_has_it(cli, blob_folders, tmp_path):
    res = cli(
        "train",
        "--arch",
        "vgg_small",
        "--data",
        blob_folders,
        "--precision",
        "bf16",
        "--epochs",
        1,
        "--set",
        "threads=1",
        "--limit",
        8,
        "--out",
        tmp_path / "bf16",
        "--set",
        "export=false",
    )
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        assert res.exit_code == 0, res.output
    else:
        assert res.exit_code == 2 and "needs a CPU with native bf16" in res.output


def test_swa_averages_the_weights_of_its_epochs(cli, blob_folders, tmp_path):
    """--swa-start 1 over 2 epochs: the selected model is the mean of the two epochs' weights (the training
    itself is unchanged), with batch-norm statistics recomputed for the mean."""

    def run(name: str, epochs: int, *extra) -> dict:
        res = cli(
            "train", "--arch", "vgg_small", "--data", blob_folders, "--epochs", epochs, "--out", tmp_path / name,
            *sets("optimisation.schedule=constant", "optimisation.lr=0.01", "threads=1", "export=false"), *extra,
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        return torch.load(tmp_path / name / "checkpoint.pt", weights_only=True)

    one, two, swa = run("one", 1), run("two", 2), run("swa", 2, "--set", "averaging.swa_start=1")
    assert int(swa["swa"]["n_averaged"]) == 2
    averaged = [k for k, w in two["model"].items() if k.endswith("weight") and w.dim() > 1]  # conv and linear
    for k, w in two["model"].items():
        assert torch.equal(swa["model"][k], w)  # averaging does not change what is trained
    for k in averaged:
        assert torch.allclose(swa["swa"][f"module.{k}"], (one["model"][k] + two["model"][k]) / 2, atol=1e-6), k
    assert len(averaged) > 3 and not torch.allclose(one["model"][averaged[0]], two["model"][averaged[0]])
    means = [k for k in two["model"] if k.endswith("running_mean")]
    assert means and not torch.allclose(swa["swa"][f"module.{means[0]}"], two["model"][means[0]])
    assert [r["averaged_epochs"] for r in swa["history"]] == [1, 2]
    best = torch.load(tmp_path / "swa" / "best-emotions.pt", weights_only=True)
    assert best["epoch"] in (1, 2)
    res = cli("train", "--arch", "vgg_small", "--data", blob_folders, "--epochs", 2, "--set", "averaging.swa_start=3",
              "--out", tmp_path / "bad", "--set", "export=false")  # fmt: skip
    assert res.exit_code == 2 and "averaging.swa_start must be between 1 and optimisation.epochs (2)" in res.output


def test_ema_is_the_moving_average_of_every_steps_weights_and_batch_norm_statistics(cli, blob_folders, tmp_path):
    """--ema 0.9 with one step per epoch: after two steps the selected model is 0.9 x the first step's weights
    + 0.1 x the second's, buffers included; training is unchanged and the raw weights' accuracy is logged."""

    def run(name: str, epochs: int, *extra):
        res = cli(
            "train", "--arch", "vgg_small", "--data", blob_folders, "--epochs", epochs, "--out", tmp_path / name,
            *sets("optimisation.schedule=constant", "optimisation.lr=0.01", "optimisation.batch_size=1024"),
            *sets("threads=1", "export=false"), *extra,
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        return res, torch.load(tmp_path / name / "checkpoint.pt", weights_only=True)

    (_, one), (_, two), (_, ema) = run("one", 1), run("two", 2), run("ema", 2, "--set", "averaging.ema=0.9")
    assert int(ema["ema"]["n_averaged"]) == 2
    for k, w in two["model"].items():
        assert torch.equal(ema["model"][k], w), k  # averaging does not change what is trained
    averaged = [k for k, w in two["model"].items() if w.is_floating_point() and not torch.equal(one["model"][k], w)]
    assert any(k.endswith("running_mean") for k in averaged) and any(k.endswith("weight") for k in averaged)
    for k in averaged:
        expected = 0.9 * one["model"][k] + 0.1 * two["model"][k]
        assert torch.allclose(ema["ema"][f"module.{k}"], expected, atol=1e-6), k
    assert all("raw_val_acc_emotions" in r and "val_acc_emotions" in r for r in ema["history"])
    best = torch.load(tmp_path / "ema" / "best-emotions.pt", weights_only=True)
    selected = {1: one["model"][averaged[0]], 2: ema["ema"][f"module.{averaged[0]}"]}[best["epoch"]]  # the average
    assert torch.allclose(best["model"][averaged[0]], selected, atol=1e-6)
    res, _ = run("ema", 2, "--set", "averaging.ema=0.9")  # started again: resumes with its average
    assert "resumed" in res.output
    for bad, message in (
        (["--set", "averaging.ema=1.0"], "averaging.ema: Input should be less than 1"),
        (["--set", "averaging.ema=0.99", "--set", "averaging.swa_start=1"], "choose one weight average"),
    ):
        res = cli("train", "--arch", "vgg_small", "--data", blob_folders, "--epochs", 2, *bad,
                  "--out", tmp_path / "bad", "--set", "export=false")  # fmt: skip
        assert res.exit_code == 2 and message in res.output, res.output
        assert not (tmp_path / "bad").exists()  # refused before any data is loaded or folder made


def test_sam_steps_from_weights_moved_rho_along_the_gradient_and_puts_them_back():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.LazyLinear(3)
    )
    x, y = torch.randn(8, 1, 6, 6), torch.randint(0, 3, (8,))
    torch.nn.functional.cross_entropy(model(x), y).backward()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.grad.clone() for p in model.parameters()]
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    with ascended(model, 0.05):
        for p, w, g in zip(model.parameters(), [before[k] for k, _ in model.named_parameters()], grads, strict=True):
            assert torch.allclose(p, w + 0.05 * g / norm, atol=1e-7)
        model(torch.randn(8, 1, 6, 6) * 5)  # a second pass does not move the batch-norm statistics
        assert torch.equal(model[1].running_mean, before["1.running_mean"])
        assert torch.equal(model[1].running_var, before["1.running_var"])
    assert model[1].momentum == 0.1
    for k, v in model.state_dict().items():
        if k != "1.num_batches_tracked":
            assert torch.allclose(v, before[k], atol=1e-7), k


def test_train_with_sam_takes_a_different_step_from_the_same_batch(cli, blob_folders, tmp_path):
    """One step per epoch: with --sam the batch-norm statistics (first pass) equal plain SGD's, the weights do not."""

    def run(name: str, *extra):
        res = cli("train", "--arch", "vgg_small", "--data", blob_folders, "--epochs", 1, "--out", tmp_path / name,
                  *sets("optimisation.schedule=constant", "optimisation.batch_size=1024", "threads=1", "export=false"),
                  *extra)  # fmt: skip
        assert res.exit_code == 0, res.output
        return torch.load(tmp_path / name / "checkpoint.pt", weights_only=True)

    plain, sam = run("plain"), run("sam", "--set", "regularisation.sam=0.05")
    assert sam["config"]["regularisation"]["sam"] == 0.05
    stats = [k for k in plain["model"] if k.endswith(("running_mean", "running_var"))]
    assert stats and all(torch.allclose(sam["model"][k], plain["model"][k], atol=1e-6) for k in stats)
    weights = [k for k in plain["model"] if k.endswith("weight")]
    assert any(not torch.allclose(sam["model"][k], plain["model"][k]) for k in weights)
    bad = refused(cli, blob_folders, tmp_path / "bad", "regularisation.sam=-0.1")
    assert "regularisation.sam: Input should be greater than or equal to 0" in bad


def test_mixup_and_cutmix_blend_faces_in_the_shares_of_their_targets():
    torch.manual_seed(0)
    x = torch.arange(8, dtype=torch.float32).view(8, 1, 1, 1).repeat(1, 1, 44, 44)  # face k: every pixel k
    same, partner, lam = mix_batch(x, 0.0, 0.0)
    assert same is x and lam == 1.0 and torch.equal(partner, torch.arange(8))
    mixed, partner, lam = mix_batch(x, 0.4, 0.0)
    assert 0 < lam < 1 and sorted(partner.tolist()) == list(range(8)) and (partner != torch.arange(8)).all()
    assert torch.allclose(mixed, lam * x + (1 - lam) * x[partner])
    cut_seen = 0
    for _ in range(20):
        out, partner, lam = mix_batch(x, 0.0, 1.0)
        own, other = out == x, out == x[partner]
        assert (own | other).all()  # every pixel is one face's or the other's, never a blend
        assert other.float().mean(dim=(1, 2, 3)).sub(1 - lam).abs().max() < 1e-6  # target share = area share
        cut_seen += lam < 1
    assert cut_seen > 10


def test_train_with_mixup_and_cutmix(cli, blob_folders, tmp_path):
    res = cli("train", "--arch", "vgg_small", "--data", blob_folders, "--epochs", 1, "--out", tmp_path / "mix",
              *sets("regularisation.mixup=0.4", "regularisation.cutmix=1.0", "threads=1", "export=false"))  # fmt: skip
    assert res.exit_code == 0, res.output
    ckpt = torch.load(tmp_path / "mix" / "checkpoint.pt", weights_only=True)
    regularisation = ckpt["config"]["regularisation"]
    assert regularisation["mixup"] == 0.4 and regularisation["cutmix"] == 1.0
    assert np.isfinite(ckpt["history"][0]["train_loss"])
    res = cli("train", "--arch", "vgg_small", "--data", tmp_path / "no-such-data", "--set", "regularisation.cutmix=-1",
              "--out", tmp_path / "bad", "--set", "export=false")  # fmt: skip
    assert (
        res.exit_code == 2 and "regularisation.cutmix: Input should be greater than or equal to 0" in res.output
    )  # refused before the (missing) data


def test_temperature_fits_an_overconfident_model():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, 4000)
    logits = rng.normal(0, 1, (4000, 4))
    logits[np.arange(4000), truth] += 1.0
    honest = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    over = with_temperature(honest, 1 / 3)  # three times sharper than the truth
    t = fit_temperature(over, truth)
    assert t == pytest.approx(3.0, rel=0.1)
    assert calibration_error(with_temperature(over, t), truth) < 0.3 * calibration_error(over, truth)
    assert calibration_error(np.eye(4)[truth], truth) == 0.0


def test_measure_command_writes_temperature_and_ece(cli, blob_run, blob_folders, tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes((blob_run / "vgg_small.emotions.onnx").read_bytes())
    res = cli("measure", "--model", model, "--data", blob_folders)
    assert res.exit_code == 0, res.output
    card = Classifier(model).card
    assert card.temperature == json.loads(res.stdout)["temperature"] and card.temperature > 0
    assert {"ece", "ece_uncalibrated", "accuracy"} <= set(card.metrics["val"]) and "rest" in card.reference
    assert json.loads(model.with_suffix(".json").read_text())["temperature"] == card.temperature
    assert card.balance == 0.0 and "val_balanced" not in card.metrics


def test_measure_sets_the_default_prior_correction(cli, blob_run, blob_folders, tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes((blob_run / "vgg_small.emotions.onnx").read_bytes())
    res = cli("measure", "--model", model, "--data", blob_folders, "--balance", "0.4")
    assert res.exit_code == 0, res.output
    card = Classifier(model).card
    assert card.balance == 0.4 and card.metrics["val_balanced"]["balance"] == 0.4
    assert 0 <= card.metrics["val_balanced"]["accuracy"] <= 1
    assert FERModel(model=model).balance == 0.4 and FERModel(model=model, balance=0.0).balance == 0.0
    again = cli("measure", "--model", model, "--data", blob_folders)  # not given: the card keeps its balance
    assert again.exit_code == 0 and Classifier(model).card.balance == 0.4
    bad = cli("measure", "--model", model, "--data", blob_folders, "--balance", "2")
    assert bad.exit_code != 0 and "balance must be between 0" in bad.output


def test_ten_crop_tta(cli, blob_run, blob_folders):
    model = blob_run / "vgg_small.emotions.onnx"
    res = cli("evaluate", "--model", model, "--data", blob_folders, "--ten-crop", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["tta"] == "tencrop" and out["accuracy"] >= 0.9
    clf = Classifier(model)
    faces = np.random.default_rng(0).integers(0, 255, (3, 48, 48), dtype=np.uint8)
    ten = clf.predict_proba(faces, tta="tencrop")
    assert ten.shape == (3, 4) and np.allclose(ten.sum(1), 1, atol=1e-5)
    views = [clf.preprocess(faces, off) for off in (None, (0, 0), (0, 4), (4, 0), (4, 4))]
    manual = sum(clf._run(v) + clf._run(np.ascontiguousarray(v[..., ::-1])) for v in views) / 10
    assert np.allclose(ten, with_temperature(manual, clf.card.temperature), atol=1e-5)
    with pytest.raises(ValueError, match="tta must be"):
        clf.predict_proba(faces, tta="fivecrop")


def test_distillation_blends_each_head_with_the_teachers_of_its_labels(fer2013_slice, ferplus_csv):
    from emopy.train.distill import distill_heads
    from emopy.train.recipe import Recipe
    from emopy.train.run import build_heads

    joint = {"data.path": str(fer2013_slice), "data.ferplus_labels": str(ferplus_csv), "data.heads": "fer2013,ferplus"}
    images, split, heads, _ = build_heads(Recipe().with_values({**joint, "data.soft_labels": True}).data)
    blended = distill_heads(heads, images, ["fer2013", "ferplus"], 0.5)
    for head, new, teacher in zip(heads, blended, ("fer2013", "ferplus")):
        clf = Classifier(teacher)
        probs = clf.predict_proba(images, tta="flip", calibrated=False)[
            :, [clf.labels.index(n) for n in head.label_names]
        ]
        probs = probs / probs.sum(1, keepdims=True)  # renormalised over the head's labels (int8 outputs are rounded)
        m = head.mask
        assert m.sum() > 100
        np.testing.assert_allclose(new.targets[m], 0.5 * head.targets[m] + 0.5 * probs[m], atol=1e-5)
        np.testing.assert_array_equal(new.targets[~m], head.targets[~m])
        np.testing.assert_array_equal(new.labels, head.labels)
    assert not heads[1].mask.all()  # FER+ drops some faces: those rows keep their (empty) targets, checked above
    with pytest.raises(ConfigError, match=r"no teacher predicts all of .*contempt"):
        distill_heads(heads, images, ["fer2013"], 0.5)  # a 7-class teacher cannot teach the 8-class FER+ head


def test_distillation_run_records_its_teachers(cli, fer2013_slice, ferplus_csv, tmp_path):
    out = tmp_path / "kd"
    res = cli(
        "train",
        "--arch",
        "vgg_small",
        "--data",
        fer2013_slice,
        "--ferplus-labels",
        ferplus_csv,
        "--set",
        "data.heads=fer2013,ferplus",
        "--set",
        "data.soft_labels=true",
        "--set",
        "distillation.teachers=fer2013,ferplus",
        "--set",
        "distillation.weight=0.7",
        "--epochs",
        1,
        "--set",
        "threads=1",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    card = Classifier(out / "vgg_small.ferplus.onnx").card
    assert card.training["recipe"]["distillation"] == {"teachers": ["fer2013", "ferplus"], "weight": 0.7}
    again = cli(
        "train",
        "--arch",
        "vgg_small",
        "--data",
        fer2013_slice,
        "--ferplus-labels",
        ferplus_csv,
        "--set",
        "data.heads=fer2013,ferplus",
        "--set",
        "data.soft_labels=true",
        "--set",
        "distillation.teachers=fer2013",
        "--set",
        "distillation.weight=0.7",
        "--epochs",
        1,
        "--set",
        "threads=1",
        "--out",
        out,
    )
    assert again.exit_code == 2 and "teacher" in again.output  # another teacher is another run: no silent resume


class _Payload:
    """Any Python object: a pickle holding it could run code while it loads."""


def test_weights_from_elsewhere_load_as_plain_tensors_only(tmp_path, monkeypatch):
    from emopy.errors import ModelFileError

    bad = tmp_path / "best-x.pt"
    torch.save({"model": {"w": torch.zeros(2)}, "extra": _Payload()}, bad)
    with pytest.raises(ModelFileError, match="not a plain weights file"):
        weights_state(bad)
    good = tmp_path / "best-y.pt"
    torch.save({"model": {"features.0.weight": torch.ones(2)}, "epoch": 3}, good)
    assert torch.equal(weights_state(good)["features.0.weight"], torch.ones(2))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ferplus").mkdir()  # a folder named like a shipped model does not shadow it
    assert "head.weight" in weights_state("ferplus", head=True)
