"""Lie groups known by a basis of their Lie algebra: matrix groups and planar presets."""

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

__all__ = [
    "LieGroup",
    "MatrixLieGroup",
    "affine",
    "euclidean",
    "homography",
    "random_coordinates",
    "rotation",
    "scaling",
    "similarity",
    "translation",
]
