"""Lie groups known by a basis of their Lie algebra: matrix groups with planar presets, and
point-symmetry groups of PDEs known by their vector fields and flows."""

from lielac.groups.base import LieGroup, random_coordinates
from lielac.groups.matrix import (
    MatrixLieGroup,
    affine,
    euclidean,
    homography,
    rotation,
    scaling,
    similarity,
    translation,
)
from lielac.groups.point import (
    FlowTimePrior,
    FlowWord,
    PointGenerator,
    PointSymmetryGroup,
    burgers_ivp_subgroup,
    burgers_symmetries,
    heat_ivp_subgroup,
    heat_symmetries,
)

__all__ = [
    "FlowTimePrior",
    "FlowWord",
    "LieGroup",
    "MatrixLieGroup",
    "PointGenerator",
    "PointSymmetryGroup",
    "affine",
    "burgers_ivp_subgroup",
    "burgers_symmetries",
    "euclidean",
    "heat_ivp_subgroup",
    "heat_symmetries",
    "homography",
    "random_coordinates",
    "rotation",
    "scaling",
    "similarity",
    "translation",
]
