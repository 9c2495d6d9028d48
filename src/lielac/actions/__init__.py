"""Actions of group elements on data: images (and, in lielac.pde, sampled fields)."""

from lielac.actions.images import (
    ImageWarp,
    center_of_mass,
    centering_translation,
    normalized_grid,
    normalized_to_pixel,
    pixel_to_normalized,
)

__all__ = [
    "ImageWarp",
    "center_of_mass",
    "centering_translation",
    "normalized_grid",
    "normalized_to_pixel",
    "pixel_to_normalized",
]
