"""Tiny sample worlds shared by the sample-world tests (1 year, 3 nets, seed 42), generated once per session."""

from __future__ import annotations

import pytest

from sample_world import WorldFiles, generate_world


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> WorldFiles:
    """One year, three nets, seed 42, the default response."""
    return generate_world(tmp_path_factory.mktemp("tiny"), years=1, sites=3, seed=42)
