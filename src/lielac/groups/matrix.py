"""Matrix Lie groups given by a basis of their Lie algebra, and planar presets.

Elements are (B, n, n) tensors; the exponential is ``torch.linalg.matrix_exp`` of
``sum_i a_i A_i``. The planar presets act on homogeneous coordinates ``(x, y, 1)`` in the
image convention of :mod:`lielac.actions.images` (x right, y down, canvas [-1, 1]).
"""

from __future__ import annotations

import torch

from lielac._checks import check_finite, check_invertible, check_matrices, check_tensor
from lielac.groups.base import LieGroup

__all__ = [
    "MatrixLieGroup",
    "affine",
    "homography",
    "euclidean",
    "similarity",
    "translation",
    "rotation",
    "scaling",
]


class MatrixLieGroup(LieGroup):
    """A connected matrix Lie group given by a (k, n, n) basis of its Lie algebra.

    Args:
        generators: (k, n, n) tensor of linearly independent matrices ``A_1 .. A_k``.
        names: optional names of the generators (default ``"A0" .. "A{k-1}"``).

    Example:
        >>> import torch
        >>> rot = torch.tensor([[[0., -1.], [1., 0.]]])
        >>> so2 = MatrixLieGroup(rot, names=("rotation",))
        >>> so2.exp(torch.tensor([[torch.pi / 2]])).round()
        tensor([[[ 0., -1.],
                 [ 1.,  0.]]])
    """

    def __init__(self, generators: torch.Tensor, names: tuple[str, ...] | None = None):
        check_tensor(generators, "generators")
        if generators.ndim != 3 or generators.shape[1] != generators.shape[2]:
            raise ValueError(
                f"generators: expected a (k, n, n) tensor, got {tuple(generators.shape)}"
            )
        if generators.shape[0] == 0:
            raise ValueError("generators: expected at least one generator, got k = 0")
        check_finite(generators, "generators")
        generators = generators.to(torch.get_default_dtype()
                                   if not generators.is_floating_point() else generators.dtype)
        k, n, _ = generators.shape
        flat = generators.reshape(k, n * n).double()
        rank = int(torch.linalg.matrix_rank(flat))
        if rank < k:
            raise ValueError(
                f"generators: expected {k} linearly independent matrices, got rank {rank}"
            )
        _check_closed(generators.double(), flat)
        if names is None:
            names = tuple(f"A{i}" for i in range(k))
        if len(names) != k:
            raise ValueError(f"names: expected {k} names, got {len(names)}")
        self.generators = generators
        self.names = tuple(names)
        self.n = n
        # Least-squares projection of an n x n matrix onto the basis (for log coordinates).
        self._projector = torch.linalg.pinv(flat)  # (n*n, k)

    @property
    def dim(self) -> int:
        return self.generators.shape[0]

    def __repr__(self) -> str:
        return f"MatrixLieGroup(n={self.n}, generators={list(self.names)})"

    def algebra(self, a: torch.Tensor) -> torch.Tensor:
        """The Lie-algebra element ``sum_i a_i A_i`` as a (B, n, n) tensor for (B, k) ``a``."""
        self.check_coordinates(a)
        basis = self.generators.to(dtype=a.dtype, device=a.device)
        return torch.einsum("bk,kij->bij", a, basis)

    def exp(self, a: torch.Tensor) -> torch.Tensor:
        """(B, n, n) elements ``exp(sum_i a_i A_i)`` for (B, k) coordinates ``a``."""
        return torch.linalg.matrix_exp(self.algebra(a))

    def log(self, g: torch.Tensor) -> torch.Tensor:
        """(B, k) algebra coordinates of ``log(g)``, projected onto the basis.

        The principal matrix logarithm by inverse scaling and squaring (Denman-Beavers square
        roots, then a Taylor series); exact for elements of the group within the principal
        branch, and differentiable. Elements far from the identity (rotations near pi) lose
        accuracy.
        """
        check_matrices(g, self.n, "g")
        check_invertible(g, "g")
        log_g = _matrix_log(g)
        flat = log_g.reshape(g.shape[0], self.n * self.n)
        return flat @ self._projector.to(dtype=g.dtype, device=g.device)

    def flow(self, index: int, s: torch.Tensor) -> torch.Tensor:
        """(B, n, n) elements ``exp(s A_index)`` for (B,) flow times ``s``."""
        if not 0 <= index < self.dim:
            raise ValueError(f"index: expected a generator index in [0, {self.dim}), got {index}")
        basis = self.generators[index].to(dtype=s.dtype, device=s.device)
        return torch.linalg.matrix_exp(s.reshape(-1, 1, 1) * basis)

    def identity(self, batch: int, *, dtype=torch.float32, device=None) -> torch.Tensor:
        return torch.eye(self.n, dtype=dtype, device=device).expand(batch, self.n, self.n).clone()

    def compose(self, g: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        check_matrices(g, self.n, "g")
        check_matrices(h, self.n, "h", batch=g.shape[0] if g.shape[0] != 1 else None)
        return g @ h

    def inverse(self, g: torch.Tensor) -> torch.Tensor:
        check_matrices(g, self.n, "g")
        check_invertible(g, "g")
        return torch.linalg.inv(g)

    def select(self, g: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return g[index]

    def batch_size(self, g: torch.Tensor) -> int:
        return g.shape[0]


def _check_closed(generators: torch.Tensor, flat: torch.Tensor) -> None:
    """Raise unless every bracket [A_i, A_j] lies in the span of the generators."""
    k = generators.shape[0]
    brackets = (generators[:, None] @ generators[None] - generators[None] @ generators[:, None])
    brackets = brackets.reshape(k * k, -1)
    coords = torch.linalg.lstsq(flat.T, brackets.T).solution  # (k, k*k)
    residual = (flat.T @ coords - brackets.T).abs().max()
    scale = 1.0 + brackets.abs().max()
    if residual > 1e-8 * scale:
        raise ValueError(
            "generators: expected a basis of a Lie algebra (closed under the bracket "
            f"[A, B] = AB - BA), got brackets outside their span (residual {residual:.2e})"
        )


def _sqrtm(a: torch.Tensor, iterations: int = 8) -> torch.Tensor:
    """Principal square root of (B, n, n) matrices by the Denman-Beavers iteration."""
    y = a
    z = torch.eye(a.shape[-1], dtype=a.dtype, device=a.device).expand_as(a)
    for _ in range(iterations):
        y, z = 0.5 * (y + torch.linalg.inv(z)), 0.5 * (z + torch.linalg.inv(y))
    return y


def _matrix_log(g: torch.Tensor, roots: int = 4, terms: int = 12) -> torch.Tensor:
    """Principal logarithm of (B, n, n) matrices: 2^roots * log(g^(1/2^roots))."""
    x = g
    for _ in range(roots):
        x = _sqrtm(x)
    eye = torch.eye(g.shape[-1], dtype=g.dtype, device=g.device)
    e = x - eye
    power = e
    out = torch.zeros_like(g)
    for m in range(1, terms + 1):
        out = out + ((-1) ** (m + 1) / m) * power
        power = power @ e
    return out * 2**roots


# --- planar presets (3 x 3 homogeneous coordinates) --------------------------------------

def _unit(i: int, j: int) -> torch.Tensor:
    m = torch.zeros(3, 3)
    m[i, j] = 1.0
    return m


def _planar_generators() -> dict[str, torch.Tensor]:
    """Named generators acting on (x, y, 1); linear parts form the basis of gl(2)."""
    return {
        "translate_x": _unit(0, 2),
        "translate_y": _unit(1, 2),
        "rotate": _unit(1, 0) - _unit(0, 1),
        "scale": _unit(0, 0) + _unit(1, 1),
        "stretch": _unit(0, 0) - _unit(1, 1),
        "shear": _unit(0, 1) + _unit(1, 0),
        "perspective_x": _unit(2, 0),
        "perspective_y": _unit(2, 1),
    }


def _preset(names: tuple[str, ...], overrides: dict[str, torch.Tensor] | None = None):
    gens = _planar_generators()
    gens.update(overrides or {})
    return MatrixLieGroup(torch.stack([gens[name] for name in names]), names=names)


def affine() -> MatrixLieGroup:
    """GL+(2) x| R^2 on the plane: translations x, y; rotation; isotropic scale; stretch;
    shear. The rotation turns +x towards +y (clockwise on screen, since y points down)."""
    return _preset(("translate_x", "translate_y", "rotate", "scale", "stretch", "shear"))


def homography() -> MatrixLieGroup:
    """SL(3) acting projectively: the affine generators made traceless, plus the two
    perspective generators (bottom row). The traceless scale ``diag(1, 1, -2) / 3`` has
    flow ``diag(e^{s/3}, e^{s/3}, e^{-2s/3})``, which acts on the plane as scaling by
    ``e^s``."""
    scale = (_unit(0, 0) + _unit(1, 1) - 2 * _unit(2, 2)) / 3
    return _preset(
        ("translate_x", "translate_y", "rotate", "scale", "stretch", "shear",
         "perspective_x", "perspective_y"),
        {"scale": scale},
    )


def euclidean() -> MatrixLieGroup:
    """SE(2): translations and rotation."""
    return _preset(("translate_x", "translate_y", "rotate"))


def similarity() -> MatrixLieGroup:
    """Sim(2): translations, rotation and isotropic scaling."""
    return _preset(("translate_x", "translate_y", "rotate", "scale"))


def translation() -> MatrixLieGroup:
    """R^2 acting by translations."""
    return _preset(("translate_x", "translate_y"))


def rotation() -> MatrixLieGroup:
    """SO(2) rotations about the canvas centre."""
    return _preset(("rotate",))


def scaling() -> MatrixLieGroup:
    """Isotropic scalings about the canvas centre."""
    return _preset(("scale",))
