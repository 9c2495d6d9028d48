"""Data: the MNIST reader and fetcher, and the seeded perturbed test sets built from it.

The warp-and-translate step itself is ``lielac.data.perturb.perturb``; it is not re-exported
here, so that ``lielac.data.perturb`` keeps naming the module.
"""

from lielac.data.mnist import (
    MNIST_DIR_ENV_VAR,
    MNIST_FILES,
    MNIST_SHA256,
    fetch_mnist,
    load_mnist,
    mnist_dir,
    read_idx,
)
from lielac.data.perturb import (
    TEST_SETS,
    PerturbedSet,
    affnist_matrices,
    center_on_canvas,
    homnist_matrices,
    make_test_set,
)

__all__ = [
    "MNIST_DIR_ENV_VAR",
    "MNIST_FILES",
    "MNIST_SHA256",
    "TEST_SETS",
    "PerturbedSet",
    "affnist_matrices",
    "center_on_canvas",
    "fetch_mnist",
    "homnist_matrices",
    "load_mnist",
    "make_test_set",
    "mnist_dir",
    "read_idx",
]
