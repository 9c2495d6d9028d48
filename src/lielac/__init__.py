"""lielac: make trained networks invariant or equivariant under Lie groups by
canonicalizing their inputs (Lie Algebra Canonicalization)."""

import logging

from lielac import actions, energies, groups, priors, testing
from lielac.canonicalizer import Canonicalization, Canonicalizer
from lielac.wrappers import Equivariant, Invariant

__all__ = [
    "Canonicalization",
    "Canonicalizer",
    "Equivariant",
    "Invariant",
    "actions",
    "energies",
    "groups",
    "priors",
    "testing",
]
__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
