"""Energies: callables mapping a batch to a (B,) tensor, low on canonical inputs."""

from lielac.energies.template import TemplateEnergy

__all__ = ["TemplateEnergy"]
