"""The model registry and every registered architecture; TransferLearningNN backbones and freezing."""

from dataclasses import asdict

import pytest

torch = pytest.importorskip("torch", reason="the model tests need emopy-fer[train] (torch)")

from emopy.cards import ModelCard  # noqa: E402
from emopy.errors import EmopyError, ModelFileError  # noqa: E402
from emopy.models import (  # noqa: E402
    MODELS,
    ModelInfo,
    UnknownModelError,
    create_model,
    list_models,
    model_info,
    register_model,
)

EXPECTED = {
    "vgg_small",
    "vgg_wide",
    "resnet_face",
    "ConvolutionalNN",
    "ConvolutionalNNDropout",
    "TimeDelayConvNN",
    "ConvolutionalLstmNN",
    "TransferLearningNN",
}
TEMPORAL = {"TimeDelayConvNN", "ConvolutionalLstmNN"}


def batch(name: str, n: int = 2, size: int = 44) -> torch.Tensor:
    torch.manual_seed(0)
    shape = (n, 3, 1, size, size) if model_info(name).temporal else (n, 1, size, size)
    return torch.randn(shape)


def test_registry_lists_the_emopy_families():
    assert EXPECTED <= set(list_models())
    assert list_models() == sorted(list_models())
    assert {n for n in list_models() if model_info(n).temporal} == TEMPORAL
    assert all(model_info(n).description for n in list_models())


def test_every_shipped_card_states_its_architectures_input_config():
    from emopy.cards import list_pretrained
    from emopy.predict.runtime import Classifier

    for name in list_pretrained():
        card = Classifier(name).card
        cfg = model_info(card.arch).input
        assert (card.image_size, card.input_size, card.mean, card.std) == (
            cfg.image_size,
            cfg.input_size,
            cfg.mean,
            cfg.std,
        )


@pytest.mark.parametrize("name", list_models())
def test_forward_backward(name):
    model = create_model(name, 5)
    assert model.emopy_arch == name and model.emopy_temporal == (name in TEMPORAL)
    x = batch(name)
    model.train()
    out = model(x)
    assert out.shape == (2, 5)
    assert torch.isfinite(out).all()
    out.logsumexp(1).sum().backward()
    params = [(k, p) for k, p in model.named_parameters() if p.requires_grad]
    assert params
    for k, p in params:
        assert p.grad is not None, f"{name}.{k} got no gradient"
        assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, f"{name}.{k}: zero or non-finite gradient"
    model.eval()
    with torch.no_grad():
        ev = model(batch(name, n=1, size=48))  # any batch size, the uncropped 48x48 too
    assert ev.shape == (1, 5) and torch.isfinite(ev).all()


def test_time_delay_checks_frames():
    model = create_model("TimeDelayConvNN", 3)
    with pytest.raises(ValueError, match="3 frames"):
        model(torch.randn(2, 4, 1, 44, 44))
    assert create_model("TimeDelayConvNN", 3, frames=4)(torch.randn(2, 4, 1, 44, 44)).shape == (2, 3)


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownModelError) as err:
        create_model("vgg_smal", 7)
    msg = str(err.value)
    assert "did you mean" in msg and "vgg_small" in msg
    assert "choose from:" in msg and "ConvolutionalLstmNN" in msg
    with pytest.raises(UnknownModelError, match="did you mean.*ConvolutionalNN"):
        create_model("convolutionalnn", 7)
    assert isinstance(err.value, EmopyError) and isinstance(err.value, KeyError) and isinstance(err.value, ValueError)


def test_a_name_is_registered_once_and_builders_match_their_declaration():
    before = list_models()
    with pytest.raises(EmopyError, match="already registered"):
        MODELS.add(ModelInfo("vgg_small", "emopy.models.vgg:vgg_wide", "twice"))
    with pytest.raises(EmopyError, match="not declared as"):  # a builder the declaration does not name
        register_model("vgg_small")(lambda num_classes: None)
    with pytest.raises(EmopyError, match="add ModelInfo"):  # a builder without a declaration
        register_model("vgg_tiny")(lambda num_classes: None)
    assert list_models() == before
    assert create_model("vgg_small", 3).head.out_features == 3  # the original builder is untouched


def test_bad_num_classes():
    with pytest.raises(ValueError, match="num_classes"):
        create_model("vgg_small", 1)


# ---- TransferLearningNN ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained_backbone(tmp_path_factory):
    """A vgg_small with non-trivial batch-norm statistics, saved as a run's best-*.pt and exported .onnx."""
    from emopy.train.export import export_onnx

    out = tmp_path_factory.mktemp("backbone")
    torch.manual_seed(1)
    model = create_model("vgg_small", 3)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 1, 44, 44) * 2 + 0.5)
    model.eval()
    torch.save({"model": model.state_dict(), "epoch": 1, "val_acc": 0.5}, out / "best-emotions.pt")
    card = ModelCard(
        name="vgg_small.test",
        labels=("anger", "happiness", "neutral"),
        arch="vgg_small",
        **asdict(model_info("vgg_small").input),
    )
    onnx_path = export_onnx(model, card, out / "vgg_small.test.onnx")
    return model, out / "best-emotions.pt", onnx_path


@pytest.mark.parametrize("kind", ["checkpoint", "onnx"])
def test_transfer_loads_backbone(trained_backbone, kind):
    src, pt, onnx_path = trained_backbone
    weights = pt if kind == "checkpoint" else onnx_path
    model = create_model("TransferLearningNN", 4, weights=str(weights)).eval()
    x = torch.randn(3, 1, 44, 44)
    with torch.no_grad():
        want = src.forward_features(x)
        got = model.backbone.forward_features(x)
        assert model(x).shape == (3, 4)
    assert torch.allclose(got, want, atol=1e-4), float((got - want).abs().max())
    fresh = create_model("TransferLearningNN", 4).eval()
    with torch.no_grad():
        assert not torch.allclose(fresh.backbone.forward_features(x), want, atol=1e-2)


def test_transfer_freeze(trained_backbone):
    _, pt, _ = trained_backbone
    model = create_model("TransferLearningNN", 4, weights=str(pt), freeze=True)
    model.train()
    assert not model.backbone.training  # frozen batch norm keeps the pretrained statistics
    stats = model.backbone.features[1].running_mean.clone()
    model(torch.randn(4, 1, 44, 44)).sum().backward()
    assert torch.equal(model.backbone.features[1].running_mean, stats)
    for k, p in model.backbone.named_parameters():
        assert not p.requires_grad and p.grad is None, k
    assert model.head.weight.grad is not None and model.head.weight.grad.abs().sum() > 0
    assert [k for k, p in model.named_parameters() if p.requires_grad] == ["head.weight", "head.bias"]
    unfrozen = create_model("TransferLearningNN", 4, weights=str(pt))
    unfrozen(torch.randn(4, 1, 44, 44)).sum().backward()
    assert all(p.grad is not None for p in unfrozen.parameters())


def test_transfer_other_backbones():
    model = create_model("TransferLearningNN", 3, backbone="ConvolutionalNNDropout")
    assert model(torch.randn(2, 1, 44, 44)).shape == (2, 3)
    with pytest.raises(ValueError, match="backbone"):
        create_model("TransferLearningNN", 3, backbone="TimeDelayConvNN")


def test_transfer_bad_weights(trained_backbone, tmp_path):
    _, pt, onnx_path = trained_backbone
    with pytest.raises(ModelFileError, match="no such weights file"):
        create_model("TransferLearningNN", 3, weights=str(tmp_path / "best-missing.pt"))
    with pytest.raises(ModelFileError, match="not a vgg_wide backbone"):
        create_model("TransferLearningNN", 3, backbone="vgg_wide", weights=str(pt))
    with pytest.raises(ModelFileError, match="not a ConvolutionalNN backbone"):
        create_model("TransferLearningNN", 3, backbone="ConvolutionalNN", weights=str(onnx_path))
