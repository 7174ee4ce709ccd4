"""The training loop: augmentation, soft/hard targets, schedule, per-epoch checkpoint and resume.

`Trainer(recipe, out, images, heads, split).fit()` trains one model with one linear output block per head. Every
epoch it writes `checkpoint.pt` (atomically) and a metrics row; a killed run started again
with the same `out` directory continues from the last finished epoch.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError, require
from .recipe import Recipe, from_stored

require("torch", "train")
import torch  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from ..data.augment import build_augment  # noqa: E402
from ..models import create_model, model_info  # noqa: E402
from ..models.folded import has_placeholder_statistics  # noqa: E402
from . import distributed  # noqa: E402
from .batchnorm import recentre_batch_norm  # noqa: E402
from .mix import mix_batch  # noqa: E402
from .sam import ascended  # noqa: E402
from .tasks import Head  # noqa: E402


def refuse_another_run(stored: dict, recipe: Recipe, ckpt: Path) -> None:
    """Refuse to continue the checkpoint `ckpt` (whose stored recipe is `stored`) with a recipe that learns
    differently; fields added since it was written count with their defaults."""
    old, new = from_stored(stored).learnt(), recipe.learnt()
    changed = sorted(k for k in new if old.get(k) != new[k])
    if changed:
        raise ConfigError(
            f"{ckpt} belongs to a different run ({', '.join(f'{k}={old.get(k)!r}' for k in changed)}); "
            "resume with the same recipe or use another --out"
        )


def _normalise(x_uint8: torch.Tensor) -> torch.Tensor:
    return x_uint8.float().div_(255.0)


class Trainer:
    """Holds the model, optimiser and data of one run; `fit` trains, `predict_logits` evaluates."""

    def __init__(self, recipe: Recipe, out: Path, images: np.ndarray, heads: list[Head], split: np.ndarray):
        self.recipe, self.out = recipe, Path(out)
        opt, arch = recipe.optimisation, recipe.model.arch
        self.world = distributed.current()
        if self.world.distributed and opt.batch_size % self.world.size:
            raise ConfigError(
                f"optimisation.batch_size {opt.batch_size} does not split over {self.world.size} processes"
            )
        self.out.mkdir(parents=True, exist_ok=True)
        if recipe.threads:
            torch.set_num_threads(recipe.threads)
        torch.manual_seed(opt.seed)
        self.heads = heads
        self.sizes = [len(h.label_names) for h in heads]
        self.temporal = model_info(arch).temporal
        self.input = model_info(arch).input  # image size, crop and normalisation of this architecture
        if self.temporal and images.ndim == 3:  # still images: one-frame sequences, as EmoPy ran ConvolutionalLstmNN
            images = images[:, None]
        self.images = torch.from_numpy(np.ascontiguousarray(images))
        self.split = split
        self.train_idx = np.flatnonzero(split == "Training")
        self.val_idx = np.flatnonzero(split == "PublicTest")
        if len(self.train_idx) == 0:
            raise ConfigError("no training images (split 'Training' is empty)")
        self.targets = [torch.from_numpy(h.targets) for h in heads]
        self.masks = [torch.from_numpy(h.mask) for h in heads]
        self.class_w = [self._class_weights(h) for h in heads]
        kwargs = dict(recipe.model.args)
        if self.temporal:
            kwargs.setdefault("frames", images.shape[1])
        self.augment = build_augment(recipe.augment, self.input.input_size)
        self.center = build_augment((), self.input.input_size)
        self.model = create_model(arch, sum(self.sizes), **kwargs)
        loaded = self._load_init(recipe.model.init) if recipe.model.init else set()
        if has_placeholder_statistics(self.model.state_dict()):  # from an int8 export (init or a backbone)
            sample = np.random.default_rng(opt.seed).permutation(self.train_idx)[:4096]
            recentre_batch_norm(
                self.model, (self.batch_input(sample[i : i + 256], False) for i in range(0, len(sample), 256))
            )
        # the starting weights of a fine-tuning run (batch norm re-centred), for `average_with_init`
        self.init_state = {k: v.clone() for k, v in self.model.state_dict().items() if k in loaded}
        if not self.temporal:
            self.model = self.model.to(memory_format=torch.channels_last)
        # the module that trains: DDP averages gradients over processes; `self.model` stays the plain module
        self.net = torch.nn.parallel.DistributedDataParallel(self.model) if self.world.distributed else self.model
        self.opt = torch.optim.SGD(
            self.model.parameters(),
            lr=opt.lr,
            momentum=opt.momentum,
            nesterov=True,
            weight_decay=opt.weight_decay,
        )
        self.sched = self._schedule(opt.epochs * int(np.ceil(len(self.train_idx) / opt.batch_size)))
        averaging = recipe.averaging
        # the running average of the weights (stochastic weight averaging); its batch-norm statistics are recomputed
        self.swa = torch.optim.swa_utils.AveragedModel(self.model) if averaging.swa_start else None
        # or their exponential moving average, updated every step, batch-norm statistics averaged alongside
        self.ema = (
            torch.optim.swa_utils.AveragedModel(
                self.model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(averaging.ema), use_buffers=True
            )
            if averaging.ema
            else None
        )
        self.epoch = 0
        self.best: dict[str, float] = {h.name: -1.0 for h in heads}
        self.history: list[dict] = []

    def _schedule(self, steps: int):
        """The learning-rate schedule of the recipe over `steps` optimiser steps."""
        opt = self.recipe.optimisation
        if opt.schedule == "onecycle":
            return torch.optim.lr_scheduler.OneCycleLR(
                self.opt, max_lr=opt.lr, total_steps=max(steps, 10), pct_start=0.2
            )
        if opt.schedule == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=max(steps, 1))
        return torch.optim.lr_scheduler.LambdaLR(self.opt, lambda _: 1.0)  # constant

    def _load_init(self, weights: str) -> set[str]:
        """Fine-tuning: every tensor of `weights`; the classifier too when its shape matches this run's heads.
        Returns the names of the tensors loaded."""
        from ..models.transfer import weights_state

        state = weights_state(weights, head=True)
        own = self.model.state_dict()
        if any(k.startswith("head.") and own.get(k) is not None and v.shape != own[k].shape for k, v in state.items()):
            state = {k: v for k, v in state.items() if not k.startswith("head.")}
        wrong = f"model.init {weights}: not a {self.recipe.model.arch} model"
        try:
            missing, unexpected = self.model.load_state_dict(state, strict=False)
        except RuntimeError as exc:  # tensor shapes of another architecture
            raise ConfigError(f"{wrong} ({str(exc).splitlines()[-1].strip()})") from None
        missing = [k for k in missing if not k.startswith("head.") and not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise ConfigError(f"{wrong} (missing {missing[:3]}, unexpected {unexpected[:3]})")
        return set(state)

    def _class_weights(self, head: Head) -> torch.Tensor:
        c = len(head.label_names)
        if self.recipe.regularisation.class_weights == "none":
            return torch.ones(c)
        lab = head.labels[self.train_idx][head.mask[self.train_idx]]
        counts = np.bincount(lab, minlength=c).astype(np.float64)
        w = np.where(counts > 0, counts.sum() / (c * np.maximum(counts, 1)), 0.0)
        return torch.tensor(w, dtype=torch.float32)

    # ---- tensors -------------------------------------------------------------------------
    def batch_input(self, idx: np.ndarray, train: bool) -> torch.Tensor:
        """uint8 images -> normalised float batch (augmented when training)."""
        x = _normalise(self.images[torch.from_numpy(idx)])
        mean, std = self.input.mean, self.input.std
        if self.temporal:  # N x T x H x W: frames share one augmentation (as channels)
            x = (self.augment if train else self.center)(x)
            return ((x - mean) / std).unsqueeze(2)
        x = (self.augment if train else self.center)(x.unsqueeze(1))
        return ((x - mean) / std).contiguous(memory_format=torch.channels_last)

    def loss(self, logits: torch.Tensor, idx: np.ndarray) -> torch.Tensor:
        total = logits.new_zeros(())
        ti = torch.from_numpy(idx)
        for k, part in enumerate(logits.split(self.sizes, dim=1)):
            mask = self.masks[k][ti]
            if not mask.any():
                continue
            t = self.targets[k][ti][mask]
            c = t.shape[1]
            smoothing = self.recipe.regularisation.label_smoothing
            t = t * (1 - smoothing) + smoothing / c
            logp = torch.log_softmax(part[mask], dim=1)
            w = self.targets[k][ti][mask] @ self.class_w[k]  # weight of each sample's (soft) class
            total = total + (-(t * logp).sum(1) * w).sum() / mask.sum()
        return total

    @torch.no_grad()
    def predict_logits(self, idx: np.ndarray, batch: int = 512, model=None) -> torch.Tensor:
        model = self.model if model is None else model
        model.eval()
        outs = [model(self.batch_input(idx[i : i + batch], False)) for i in range(0, len(idx), batch)]
        return torch.cat(outs) if outs else torch.zeros(0, sum(self.sizes))

    def accuracy(self, idx: np.ndarray, model=None) -> dict[str, float]:
        logits = self.predict_logits(idx, model=model)
        out = {}
        for k, part in enumerate(logits.split(self.sizes, dim=1)):
            m = self.heads[k].mask[idx]
            if m.any():
                pred = part.argmax(1).numpy()[m]
                out[self.heads[k].name] = float((pred == self.heads[k].labels[idx][m]).mean())
        return out

    # ---- checkpoints ---------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "config": self.recipe.model_dump(mode="json"),
            "heads": [(h.name, list(h.label_names)) for h in self.heads],
            "model": self.model.state_dict(),
            "opt": self.opt.state_dict(),
            "sched": self.sched.state_dict(),
            "epoch": self.epoch,
            "best": self.best,
            "history": self.history,
            **({"swa": self.swa.state_dict()} if self.swa is not None else {}),
            **({"ema": self.ema.state_dict()} if self.ema is not None else {}),
        }

    def save(self, path: Path, payload: dict) -> None:
        """Atomic torch.save; only the main process writes."""
        if not self.world.main:
            return
        tmp = path.with_suffix(".tmp")
        torch.save(payload, tmp)
        os.replace(tmp, path)

    def try_resume(self) -> bool:
        """Continue from the run folder's checkpoint, if any (refusing another run's); whether it did."""
        ckpt = self.out / "checkpoint.pt"
        if not ckpt.exists():
            return False
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        if state["heads"] != [(h.name, list(h.label_names)) for h in self.heads]:
            raise ConfigError(f"{ckpt} belongs to a different run (labels {state['heads']}); use another --out")
        refuse_another_run(state["config"], self.recipe, ckpt)
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        self.epoch, self.best, self.history = state["epoch"], state["best"], state["history"]
        if self.swa is not None and "swa" in state:
            self.swa.load_state_dict(state["swa"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        return True

    # ---- loop ----------------------------------------------------------------------------
    def epoch_order(self) -> np.ndarray:
        """This process's training images for the epoch: all of them shuffled, or its DistributedSampler shard."""
        if not self.world.distributed:
            return np.random.default_rng([self.recipe.optimisation.seed, self.epoch]).permutation(self.train_idx)
        sampler: torch.utils.data.DistributedSampler[int] = torch.utils.data.DistributedSampler(
            range(len(self.train_idx)),  # type: ignore[arg-type]  # it only takes len() of a sequence
            num_replicas=self.world.size,
            rank=self.world.rank,
            shuffle=True,
            seed=self.recipe.optimisation.seed,
        )
        sampler.set_epoch(self.epoch)
        return self.train_idx[list(sampler)]

    def train_epoch(self) -> float:
        self.net.train()
        order = self.epoch_order()
        opt, reg = self.recipe.optimisation, self.recipe.regularisation
        torch.manual_seed(opt.seed * 1000 + self.epoch + 7919 * self.world.rank)
        bs, total, n = opt.batch_size // self.world.size, 0.0, 0  # the global batch stays batch_size
        bar = tqdm(
            range(0, len(order), bs),
            desc=f"epoch {self.epoch + 1}/{opt.epochs}",
            leave=False,
            mininterval=2,
            disable=not self.world.main,
        )
        for i in bar:
            idx = order[i : i + bs]
            if len(idx) < 2:  # (shards have equal lengths, so every process skips the same step)
                continue
            x, partner, lam = mix_batch(self.batch_input(idx, True), reg.mixup, reg.cutmix)
            self.opt.zero_grad(set_to_none=True)
            loss = self.batch_loss(x, idx, partner, lam)
            loss.backward()
            if reg.sam:  # step with the gradient at the worst nearby weights instead
                with ascended(self.model, reg.sam):
                    self.opt.zero_grad(set_to_none=True)
                    self.batch_loss(x, idx, partner, lam).backward()
            self.opt.step()
            self.sched.step()
            if self.ema is not None:
                self.ema.update_parameters(self.model)
            total += loss.item() * len(idx)
            n += len(idx)
            bar.set_postfix(loss=f"{total / n:.3f}")
        total, seen = distributed.all_sum([total, n])
        return total / max(seen, 1)

    def batch_loss(self, x: torch.Tensor, idx: np.ndarray, partner: torch.Tensor, lam: float) -> torch.Tensor:
        """The training loss of one (possibly mixed) batch, forward pass included."""
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.recipe.precision == "bf16"):
            logits = self.net(x).float()
        loss = self.loss(logits, idx)
        if lam < 1:  # a blend of two faces learns both targets in its shares
            loss = lam * loss + (1 - lam) * self.loss(logits, idx[partner.numpy()])
        return loss

    def selected(self):
        """The model this epoch is judged and saved as: the weights just trained, their moving average (`ema`), or
        from `swa_start` on their running average, with batch-norm statistics recomputed over the Training images
        (every process the same)."""
        if self.ema is not None:
            return self.ema.module
        if self.swa is None or self.epoch < self.recipe.averaging.swa_start:
            return self.model
        self.swa.update_parameters(self.model)
        batches = (self.batch_input(self.train_idx[i : i + 512], False) for i in range(0, len(self.train_idx), 512))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.recipe.precision == "bf16"):
            torch.optim.swa_utils.update_bn(batches, self.swa.module)
        return self.swa.module

    def checksums(self) -> list[float]:
        """Sum of all weights, per process: equal on every rank when data-parallel training is in sync."""
        local = float(sum(p.detach().double().sum() for p in self.model.state_dict().values() if p.is_floating_point()))
        return distributed.all_gather_float(local)

    def fit(self) -> dict:
        """Train from the current epoch (0, or where `try_resume` left it) until `epochs` or early stopping;
        returns the history."""
        stale = 0
        while self.epoch < self.recipe.optimisation.epochs:
            t0 = time.time()
            loss = self.train_epoch()
            self.epoch += 1
            model = self.selected()
            val = self.accuracy(self.val_idx, model) if len(self.val_idx) else {}
            row = {
                "epoch": self.epoch,
                "train_loss": round(loss, 5),
                "lr": self.sched.get_last_lr()[0],
                "seconds": round(time.time() - t0, 1),
                "images_per_s": round(len(self.train_idx) / (time.time() - t0), 1),
            }
            row.update({f"val_acc_{k}": round(v, 5) for k, v in val.items()})
            if self.world.distributed:
                row.update(processes=self.world.size, weight_checksums=self.checksums())
            if model is not self.model:  # an average is judged: the weights just trained are logged beside it
                if self.swa is not None:
                    row["averaged_epochs"] = int(self.swa.n_averaged)
                raw = self.accuracy(self.val_idx, self.model) if len(self.val_idx) else {}
                row.update({f"raw_val_acc_{k}": round(v, 5) for k, v in raw.items()})
            improved_first = False
            for k, v in val.items():
                if v > self.best[k]:
                    self.best[k] = v
                    self.save(
                        self.out / f"best-{k}.pt", {"model": model.state_dict(), "epoch": self.epoch, "val_acc": v}
                    )
                    improved_first |= k == self.heads[0].name
            if not val:  # nothing to select on: the last epoch is the model
                for h in self.heads:
                    self.save(
                        self.out / f"best-{h.name}.pt",
                        {"model": model.state_dict(), "epoch": self.epoch, "val_acc": None},
                    )
            self.history.append(row)
            self.save(self.out / "checkpoint.pt", self.state())
            self._log(row)
            if self.world.main:
                print(json.dumps(row), flush=True)
            stale = 0 if improved_first or not val else stale + 1
            if self.recipe.optimisation.patience and stale >= self.recipe.optimisation.patience:
                print(f"early stop: no validation improvement in {stale} epochs")
                break
        return {"history": self.history, "best": self.best}

    def _log(self, row: dict) -> None:
        if not self.world.main:
            return
        path = self.out / "metrics.csv"
        rows = self.history
        keys = sorted({k for r in rows for k in r}, key=lambda k: (k != "epoch", k))
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(rows)
        (self.out / "metrics.json").write_text(json.dumps(rows, indent=1))

    def load_best(self, head: str) -> None:
        """Load the weights selected on validation for `head`."""
        state = torch.load(self.out / f"best-{head}.pt", map_location="cpu", weights_only=True)
        self.model.load_state_dict(state["model"])

    @torch.no_grad()
    def average_with_init(self, share: float) -> None:
        """Move the model's weights `share` of the way back to the model.init ones (WiSE-FT, Wortsman et al. 2022):
        fine-tuning and its start lie in one basin, and their average often beats both."""
        for k, v in self.model.state_dict().items():
            if k in self.init_state and v.is_floating_point():
                v.lerp_(self.init_state[k].to(v.dtype), share)
