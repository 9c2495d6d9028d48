import pytest
import torch

from lielac import groups
from lielac.actions import ImageWarp
from lielac.energies.pose import PoseCorrection, PoseEnergy, train_pose_energy


def _blobs(n, size=20, seed=0):
    gen = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(
        torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij"
    )
    out = []
    for _ in range(n):
        w = 0.05 + 0.1 * torch.rand(2, generator=gen)
        out.append(torch.exp(-(xs**2 / (2 * w[0]) + (ys - 0.2 * xs) ** 2 / (0.5 * w[1]))))
    return torch.stack(out)[:, None]


def test_energy_learns_rotation_pose():
    torch.manual_seed(0)
    group, warp = groups.rotation(), ImageWarp()
    images = _blobs(256)
    energy = train_pose_energy(
        PoseEnergy(1, width=8), images, group, warp, torch.tensor([0.8]), epochs=12,
        batch_size=64, lr=5e-3,
    )
    angles = torch.tensor([[0.0], [0.6]]).repeat_interleave(32, 0)
    moved = warp(group.exp(angles), images[:32].repeat(2, 1, 1, 1))
    with torch.no_grad():
        values = energy(moved)
    assert values[:32].mean() < 0.5 * values[32:].mean()
    assert not any(p.requires_grad for p in energy.parameters())


def test_bad_arguments():
    with pytest.raises(ValueError, match="pose head of width 6"):
        train_pose_energy(PoseEnergy(2), _blobs(4), groups.affine(), ImageWarp(),
                          torch.ones(6), epochs=1)
    with pytest.raises(ValueError, match="positive half-widths"):
        train_pose_energy(PoseEnergy(1), _blobs(4), groups.rotation(), ImageWarp(),
                          torch.zeros(1), epochs=1)


def test_pose_correction_with_an_exact_pose_estimate():
    # An energy whose pose head reads off the rotation exactly: one step undoes it.
    group, warp = groups.rotation(), ImageWarp()

    class Oracle(PoseEnergy):
        def pose(self, images):
            return self.angle / 0.5

    energy = Oracle(1)
    energy.angle = torch.tensor([[0.3], [-0.2]])
    start = PoseCorrection(energy, group, warp, torch.tensor([0.5]), steps=1)
    g = start(torch.rand(2, 1, 8, 8))
    torch.testing.assert_close(group.log(g), -energy.angle, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="steps"):
        PoseCorrection(energy, group, warp, torch.tensor([0.5]), steps=-1)


def test_training_repeats_under_a_seed():
    images = _blobs(32)

    def make():
        torch.manual_seed(0)  # the initial weights; ``seed`` governs the training draws
        return train_pose_energy(
            PoseEnergy(1, width=4), images, groups.rotation(), ImageWarp(),
            torch.tensor([0.5]), epochs=1, batch_size=16, seed=3,
        )

    first, second = make().state_dict(), make().state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)
