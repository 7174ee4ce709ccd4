"""Weights of an int8 export, back in the model's own layout, so fine-tuning can start from them.

`emopy quantize` folds each batch norm into the convolution before it (onnxruntime's ConvBnFusion)
and stores int8 weights with scales. `unfold` dequantises them and gives each batch norm back as an
identity plus the folded bias: exact in eval mode. Its running statistics are placeholders, so
`recentre_batch_norm` (emopy.train.batchnorm) replaces them before training mode renormalises.
"""

from __future__ import annotations

import torch

from ..errors import ModelFileError

EPS = 1e-5  # torch's batch-norm default, which every emopy model keeps
_FUSED_W, _FUSED_B = "ConvBnFusion_W_", "ConvBnFusion_BN_B_"
_QUANT_SUFFIXES = ("_quantized", "_scale", "_zero_point")


def is_quantized(tensors: dict[str, torch.Tensor]) -> bool:
    """Whether ONNX initializers come from `emopy quantize` (int8 weights with scales)."""
    return any(name.endswith("_quantized") for name in tensors)


def _scale(tensors: dict[str, torch.Tensor], name: str, ndim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale and zero point of one quantised tensor, shaped to broadcast over its first axis."""
    scale = tensors.get(f"{name}_scale", tensors.get(f"{name}_quantized_scale"))
    if scale is None:
        raise ModelFileError(f"the int8 weight {name} has no {name}_scale initializer")
    zero = tensors.get(f"{name}_zero_point", torch.zeros(()))
    shape = (-1,) + (1,) * (ndim - 1)
    return scale.float().reshape(shape if scale.ndim else ()), zero.float().reshape(shape if zero.ndim else ())


def unfold(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """State dict from the initializers of a quantised export: weights dequantised, batch norms unfolded."""
    state: dict[str, torch.Tensor] = {}
    for name, q in tensors.items():
        if name.startswith("model.") and not name.endswith(_QUANT_SUFFIXES):  # a tensor left float (the head)
            state[name.removeprefix("model.")] = q.float()
        if not name.endswith("_quantized"):
            continue
        base = name.removesuffix("_quantized")
        scale, zero = _scale(tensors, base, q.ndim)
        value = (q.float() - zero) * scale
        if base.startswith(_FUSED_B):  # the folded bias: the batch norm's shift, its scale the identity
            bn = base.removeprefix(_FUSED_B).removeprefix("model.").removesuffix(".bias")
            state |= {
                f"{bn}.bias": value,
                f"{bn}.weight": torch.ones_like(value),
                f"{bn}.running_mean": torch.zeros_like(value),
                f"{bn}.running_var": torch.full_like(value, 1 - EPS),
            }
        else:
            state[base.removeprefix(_FUSED_W).removeprefix("model.")] = value
    return state


def has_placeholder_statistics(state: dict[str, torch.Tensor]) -> bool:
    """Whether `state` holds batch norms unfolded by `unfold`, whose running statistics mean nothing yet."""
    return any(k.endswith("running_var") and torch.equal(v, torch.full_like(v, 1 - EPS)) for k, v in state.items())
