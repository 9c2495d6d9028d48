"""A small Fourier neural operator (FNO) for 1-D initial-value problems, and its training.

:class:`FNO1d` maps initial conditions u0 sampled on N grid points, (B, N), to the solution
at T fixed times on the same grid, (B, T, N). The spatial position is fed as a second input
channel, as in the reference FNO, so the operator is not translation equivariant by
construction; it learns the solution operator on its training distribution only.

Built from torch primitives rather than the ``neuraloperator`` package: that package's
install pulls in an experiment-tracking service client (wandb) and a dozen other
dependencies, for one 60-line layer.
"""

from __future__ import annotations

import logging
import math

import torch
from torch import nn
from tqdm.auto import tqdm

__all__ = ["FNO1d", "relative_l2", "train_operator"]

logger = logging.getLogger(__name__)


class SpectralConv1d(nn.Module):
    """Multiplies the lowest ``modes`` Fourier modes by learned complex (C_in, C_out) weights."""

    def __init__(self, channels: int, modes: int):
        super().__init__()
        self.modes = modes
        scale = 1 / channels
        self.weight = nn.Parameter(scale * torch.randn(channels, channels, modes, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1]
        c = torch.fft.rfft(x, dim=-1)
        modes = min(self.modes, c.shape[-1])
        w = torch.view_as_complex(self.weight[..., :modes, :].contiguous())
        out = torch.zeros(x.shape[0], w.shape[1], c.shape[-1], dtype=c.dtype, device=x.device)
        out[..., :modes] = torch.einsum("bim,iom->bom", c[..., :modes], w)
        return torch.fft.irfft(out, n=n, dim=-1)


class FNO1d(nn.Module):
    """Fourier neural operator: u0 (B, N) -> u (B, T, N) at ``n_times`` fixed times.

    Args:
        n_times: number of output time slices T.
        width: channels of the hidden layers.
        modes: Fourier modes kept by each spectral convolution.
        layers: number of Fourier layers.
    """

    def __init__(self, n_times: int, width: int = 32, modes: int = 16, layers: int = 4):
        super().__init__()
        self.config = {"n_times": n_times, "width": width, "modes": modes, "layers": layers}
        self.lift = nn.Conv1d(2, width, 1)
        self.spectral = nn.ModuleList(SpectralConv1d(width, modes) for _ in range(layers))
        self.pointwise = nn.ModuleList(nn.Conv1d(width, width, 1) for _ in range(layers))
        self.project = nn.Sequential(nn.Conv1d(width, 2 * width, 1), nn.GELU(),
                                     nn.Conv1d(2 * width, n_times, 1))

    def forward(self, u0: torch.Tensor) -> torch.Tensor:
        if u0.ndim != 2:
            raise ValueError(f"u0: expected a (B, N) tensor, got shape {tuple(u0.shape)}")
        dtype = self.lift.weight.dtype
        b, n = u0.shape
        position = torch.linspace(0, 1, n + 1, dtype=dtype, device=u0.device)[:-1]
        h = torch.stack([u0.to(dtype), position.expand(b, n)], dim=1)
        h = self.lift(h)
        for i, (spectral, pointwise) in enumerate(zip(self.spectral, self.pointwise)):
            h = spectral(h) + pointwise(h)
            if i < len(self.spectral) - 1:
                h = nn.functional.gelu(h)
        return self.project(h).to(u0.dtype)


def relative_l2(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B,) relative L2 error over all axes but the first."""
    diff = (prediction - target).flatten(1).norm(dim=1)
    return diff / target.flatten(1).norm(dim=1).clamp_min(1e-12)


def train_operator(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    epochs: int = 300,
    batch_size: int = 32,
    lr: float = 2e-3,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """Fit ``model(inputs) ~ targets`` by Adam on the mean relative L2 error, with a cosine
    learning-rate decay. Returns the mean training loss of each epoch.

    Args:
        inputs: (S, N) initial conditions; targets: (S, T, N) solutions.
    """
    if inputs.shape[0] != targets.shape[0] or inputs.shape[0] == 0:
        raise ValueError(
            f"inputs, targets: expected equal non-empty batches, got {tuple(inputs.shape)} and "
            f"{tuple(targets.shape)}"
        )
    gen = torch.Generator().manual_seed(seed)
    inputs = inputs.to(torch.float32)
    targets = targets.to(torch.float32)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    steps = epochs * math.ceil(inputs.shape[0] / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps,
                                                   pct_start=0.05)
    history = []
    model.train()
    bar = tqdm(range(epochs), desc="train operator", disable=not progress, leave=False)
    for _ in bar:
        order = torch.randperm(inputs.shape[0], generator=gen)
        total = 0.0
        for start in range(0, inputs.shape[0], batch_size):
            idx = order[start:start + batch_size]
            loss = relative_l2(model(inputs[idx]), targets[idx]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * idx.numel()
        history.append(total / inputs.shape[0])
        bar.set_postfix(loss=f"{history[-1]:.2e}")
    model.eval()
    logger.info("trained operator: final loss %.3e", history[-1])
    return history
