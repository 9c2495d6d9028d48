"""The shuffled mini-batch loop shared by lielac's trained models (Adam, one-cycle schedule)."""

from __future__ import annotations

import logging
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

__all__ = ["fit"]

logger = logging.getLogger(__name__)


def fit(
    model: nn.Module,
    n: int,
    batch_loss: Callable[[torch.Tensor, torch.Generator], torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    desc: str,
    progress: bool = False,
) -> nn.Module:
    """Train ``model`` in place on ``n`` examples; returns it in eval mode.

    Each epoch visits the examples in a fresh random order, in batches of ``batch_size``;
    ``batch_loss(index, generator)`` gives the scalar loss of the examples ``index`` and may
    draw further randomness from ``generator`` (seeded with ``seed``, so runs repeat).
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    steps = epochs * ((n + batch_size - 1) // batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    model.train()
    with tqdm(total=steps, desc=desc, disable=not progress, unit="batch") as bar:
        for epoch in range(epochs):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, batch_size):
                loss = batch_loss(order[start:start + batch_size], generator)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                bar.update()
                bar.set_postfix(loss=f"{loss.item():.4f}", epoch=epoch + 1)
            logger.info("%s: epoch %d, last loss %.4f", desc, epoch + 1, loss.item())
    model.eval()
    return model
