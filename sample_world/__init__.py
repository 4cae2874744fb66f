"""A synthetic but plausible Toyama Bay, written as providers and cooperatives deliver it (docs/sample-world.md)."""

from sample_world.world import WorldFiles, generate_world

__all__ = ["WorldFiles", "generate_world"]
