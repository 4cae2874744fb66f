"""Interval coverage for zero-inflated catches: plain counting, and the randomised-PIT coverage that is fair to empty nets."""

from __future__ import annotations

import numpy as np


def interval_coverage(actual_kg: np.ndarray, q10_kg: np.ndarray, q90_kg: np.ndarray) -> float:
    """Plain share of actuals inside [q10, q90] (an empty net with q10 = 0 counts as inside)."""
    actual = np.asarray(actual_kg, dtype=float)
    return float(np.mean((actual >= np.asarray(q10_kg, dtype=float)) & (actual <= np.asarray(q90_kg, dtype=float))))


def pit_coverage(actual_kg: np.ndarray, q10_kg: np.ndarray, q90_kg: np.ndarray, p_zero: np.ndarray,
                 lower: float = 0.1, upper: float = 0.9) -> float:
    """Share of actuals whose randomised PIT falls in [lower, upper]: q10-q90 coverage that is fair to zero catches.

    A zero-inflated forecast puts probability p_zero on 0, so its true q10 is 0 whenever p_zero >= 0.1 and every
    empty net falls "inside" q10-q90: even a perfect forecast covers well over 80 % by plain counting. The
    randomised PIT (Czado, Gneiting & Held 2009) draws an empty net's PIT uniformly from [0, p_zero]; a zero counts
    by the chance (min(p_zero, upper) - lower) / p_zero that the draw lands in [lower, upper] (0 when q10 > 0).
    A calibrated forecast scores `upper - lower` in expectation.
    """
    return float(np.mean(pit_inside_share(actual_kg, q10_kg, q90_kg, p_zero, lower, upper)))


def pit_inside_share(actual_kg: np.ndarray, q10_kg: np.ndarray, q90_kg: np.ndarray, p_zero: np.ndarray,
                     lower: float = 0.1, upper: float = 0.9) -> np.ndarray:
    """Per row, the chance its randomised PIT falls in [lower, upper] (0 or 1 for a catch; see `pit_coverage`)."""
    actual, q10, q90 = (np.asarray(v, dtype=float) for v in (actual_kg, q10_kg, q90_kg))
    p_zero = np.clip(np.asarray(p_zero, dtype=float), 1e-9, 1.0)
    inside = (actual >= q10) & (actual <= q90)
    zero_share = np.where(q10 > 0, 0.0, np.clip((np.minimum(p_zero, upper) - lower) / p_zero, 0.0, 1.0))
    return np.where(actual > 0, inside, zero_share)


