"""The interface every lielac group offers to the canonicalizer.

A group is known through a basis ``A_1 .. A_k`` of its Lie algebra. Elements are batched
objects of a type the group chooses (a (B, n, n) tensor for matrix groups); the canonicalizer
only composes, inverts, selects and creates them through the methods below, so groups that
are known only by the one-parameter flows of their generators fit the same descent.
"""

from __future__ import annotations

import abc

import torch


class LieGroup(abc.ABC):
    """Abstract batched Lie group with a basis of its Lie algebra.

    Conventions: algebra coordinates are (B, k) tensors; ``compose(g, h)`` is the product
    ``g h`` (apply ``h`` first, then ``g``); ``flow(i, s)`` is ``exp(s A_i)`` for a (B,) tensor
    ``s``.
    """

    #: Names of the generators, in order; ``len(names) == dim``.
    names: tuple[str, ...]

    @property
    @abc.abstractmethod
    def dim(self) -> int:
        """Dimension k of the Lie algebra (number of generators)."""

    @abc.abstractmethod
    def identity(self, batch: int, *, dtype=torch.float32, device=None):
        """The identity element, repeated ``batch`` times."""

    @abc.abstractmethod
    def exp(self, a: torch.Tensor):
        """Group elements for algebra coordinates ``a`` of shape (B, k)."""

    @abc.abstractmethod
    def flow(self, index: int, s: torch.Tensor):
        """``exp(s A_index)`` for a (B,) tensor of flow times ``s``."""

    @abc.abstractmethod
    def compose(self, g, h):
        """The product ``g h`` of two batches of elements of equal batch size."""

    @abc.abstractmethod
    def inverse(self, g):
        """The batch of inverses ``g^{-1}``."""

    @abc.abstractmethod
    def select(self, g, index: torch.Tensor):
        """Batch entries ``g[index]`` for a 1-D integer tensor ``index``."""

    @abc.abstractmethod
    def batch_size(self, g) -> int:
        """Number of elements in a batch ``g``."""

    def check_coordinates(self, a, name: str = "a") -> None:
        """Raise if ``a`` is not a finite (B, k) tensor for this group."""
        if not isinstance(a, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(a).__name__}")
        if a.ndim != 2 or a.shape[1] != self.dim:
            raise ValueError(
                f"{name}: expected algebra coordinates of shape (B, {self.dim}), "
                f"got {tuple(a.shape)}"
            )
        if not torch.isfinite(a).all():
            raise ValueError(f"{name}: expected finite coordinates, got NaN or infinite values")

    def random(
        self,
        batch: int,
        scale: float | torch.Tensor = 1.0,
        *,
        generator: torch.Generator | None = None,
        distribution: str = "uniform",
        dtype=torch.float32,
        device=None,
    ):
        """Random elements ``exp(a)`` with coordinates drawn per generator.

        Args:
            batch: number of elements B.
            scale: scalar or (k,) tensor; ``"uniform"`` draws ``a_i ~ U(-scale_i, scale_i)``,
                ``"normal"`` draws ``a_i ~ N(0, scale_i^2)``.
            generator: a ``torch.Generator`` for reproducibility.
        """
        a = random_coordinates(
            batch, self.dim, scale, generator=generator, distribution=distribution, dtype=dtype
        )
        return self.exp(a.to(device))


def random_coordinates(
    batch: int,
    dim: int,
    scale: float | torch.Tensor = 1.0,
    *,
    generator: torch.Generator | None = None,
    distribution: str = "uniform",
    dtype=torch.float32,
) -> torch.Tensor:
    """A (batch, dim) tensor of algebra coordinates, uniform in ±scale or normal(0, scale)."""
    scale = torch.as_tensor(scale, dtype=dtype)
    if scale.ndim not in (0, 1) or (scale.ndim == 1 and scale.shape[0] != dim):
        raise ValueError(f"scale: expected a scalar or a ({dim},) tensor, got {tuple(scale.shape)}")
    if not torch.isfinite(scale).all() or (scale < 0).any():
        raise ValueError(f"scale: expected finite non-negative spreads, got {scale.tolist()}")
    if distribution == "uniform":
        u = torch.rand(batch, dim, generator=generator, dtype=dtype)
        return (2 * u - 1) * scale
    if distribution == "normal":
        return torch.randn(batch, dim, generator=generator, dtype=dtype) * scale
    raise ValueError(f"unknown distribution {distribution!r}; expected 'uniform' or 'normal'")
