"""Energies: callables mapping a batch to a (B,) tensor, low on canonical inputs."""

from lielac.energies.pose import PoseCorrection, PoseEnergy, train_pose_energy
from lielac.energies.template import TemplateEnergy

__all__ = ["PoseCorrection", "PoseEnergy", "TemplateEnergy", "train_pose_energy"]
