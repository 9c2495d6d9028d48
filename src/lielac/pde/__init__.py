"""PDE tools for equivariant neural solvers: grids, reference solvers, initial-condition
samplers, actions of point-symmetry groups on sampled fields, energies and a neural operator.
"""

from lielac.pde.actions import FieldAction
from lielac.pde.grid import Grid
from lielac.pde.sampling import HermiteGRF, PeriodicGRF, hermite_functions
from lielac.pde.solvers import burgers_cole_hopf, solve_burgers, solve_heat

__all__ = [
    "FieldAction",
    "Grid",
    "HermiteGRF",
    "PeriodicGRF",
    "burgers_cole_hopf",
    "hermite_functions",
    "solve_burgers",
    "solve_heat",
]
