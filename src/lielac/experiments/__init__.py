"""Benchmark jobs behind the `lielac` command: MNIST invariance and PDE equivariance."""
