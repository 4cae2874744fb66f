"""The one predictive distribution of a catch: a hurdle (delta) lognormal, as in CPUE standardisation.

    catch_kg = 0                                   with probability p_zero = 1 - p_catch
    log(catch_kg) ~ Normal(positive_log_mean, positive_log_sd)   otherwise (the net caught something)

Every number setnet shows for a forecast comes from here: the mean, any quantile, the chance of an empty net, the
chance of a catch above a threshold, and the continuous ranked probability score (CRPS) it is judged by. The three
parameters are stored with every forecast (`p_zero`, `positive_log_mean`, `positive_log_sd`), so a quantile of any
level can be asked for later without the model (`forecast_quantiles`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

DISTRIBUTION_COLUMNS = ["p_zero", "positive_log_mean", "positive_log_sd"]
QUANTILES = {"q10": 0.1, "q50": 0.5, "q90": 0.9}  # the quantiles stored with every forecast (others on demand)
MIN_LOG_SD = 0.05  # a positive catch is never known to better than about 5 %


@dataclass(frozen=True)
class HurdleLogNormal:
    """Per row: p_zero (chance of an empty net), and the mean and sd of ln(catch_kg) when it is not empty."""

    p_zero: np.ndarray
    positive_log_mean: np.ndarray
    positive_log_sd: np.ndarray

    @classmethod
    def of(cls, p_zero: object, positive_log_mean: object, positive_log_sd: object) -> HurdleLogNormal:
        """Arrays (or scalars) -> a distribution with p_zero clipped to [0, 1] and the sd to at least MIN_LOG_SD."""
        p_zero, mu, sd = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in
                                               (p_zero, positive_log_mean, positive_log_sd)))
        return cls(np.clip(p_zero, 0.0, 1.0), mu, np.maximum(sd, MIN_LOG_SD))

    @classmethod
    def from_frame(cls, rows: pd.DataFrame) -> HurdleLogNormal:
        """Rows with DISTRIBUTION_COLUMNS (a forecasts or backtest_predictions table) -> their distributions."""
        return cls.of(*(rows[c].to_numpy(dtype=float) for c in DISTRIBUTION_COLUMNS))

    @property
    def p_catch(self) -> np.ndarray:
        """Chance the net catches anything."""
        return 1.0 - self.p_zero

    def positive_mean_kg(self) -> np.ndarray:
        """Mean catch (kg) on a day the net catches something: exp(mu + sd^2 / 2)."""
        return np.exp(self.positive_log_mean + 0.5 * self.positive_log_sd**2)

    def mean_kg(self) -> np.ndarray:
        """The expected catch (kg), empty nets included: p_catch x the positive mean."""
        return self.p_catch * self.positive_mean_kg()

    def quantile_kg(self, level: float | np.ndarray) -> np.ndarray:
        """The `level` quantile (kg) per row: 0 when an empty net is at least that likely (p_zero >= level)."""
        level = np.asarray(level, dtype=float)
        within = (level - self.p_zero) / np.where(self.p_catch > 0, self.p_catch, 1.0)
        positive = np.exp(self.positive_log_mean + self.positive_log_sd * ndtri(np.clip(within, 1e-12, 1 - 1e-12)))
        return np.where(self.p_zero >= level, 0.0, positive)

    def cdf(self, catch_kg: object) -> np.ndarray:
        """P(catch <= catch_kg) per row."""
        x = np.asarray(catch_kg, dtype=float)
        z = (np.log(np.where(x > 0, x, 1.0)) - self.positive_log_mean) / self.positive_log_sd
        return np.where(x < 0, 0.0, np.where(x == 0, self.p_zero, self.p_zero + self.p_catch * ndtr(z)))

    def p_above(self, threshold_kg: object) -> np.ndarray:
        """P(catch > threshold_kg) per row (0 for an infinite or missing threshold)."""
        threshold = np.nan_to_num(np.asarray(threshold_kg, dtype=float), nan=np.inf)
        return np.where(np.isinf(threshold), 0.0, 1.0 - self.cdf(np.where(np.isinf(threshold), 0.0, threshold)))

    def crps_kg(self, actual_kg: object) -> np.ndarray:
        """Continuous ranked probability score (kg) of each row's actual catch, exact, the zero mass included.

        CRPS(F, y) = E|X - y| - E|X - X'| / 2 for X, X' drawn from F. With F = p0 * (point mass at 0) + (1 - p0) * G
        and G lognormal(mu, s) (Baran & Lerch 2015 for G's terms):
            E|X - y|  = p0 * y + (1 - p0) * E_G|Y - y|
            E|X - X'| = 2 p0 (1 - p0) E_G[Y] + (1 - p0)^2 E_G|Y - Y'|
            E_G|Y - y| = y (2 Phi(z) - 1) - 2 m (Phi(z - s) - 1) - m,  z = (ln y - mu) / s,  m = exp(mu + s^2 / 2)
            E_G|Y - Y'| = 2 m (2 Phi(s / sqrt 2) - 1)
        (for y = 0, E_G|Y - y| = m).
        """
        y = np.maximum(np.asarray(actual_kg, dtype=float), 0.0)
        p0, s, m = self.p_zero, self.positive_log_sd, self.positive_mean_kg()
        z = (np.log(np.where(y > 0, y, 1.0)) - self.positive_log_mean) / s
        distance_to_g = np.where(y > 0, y * (2 * ndtr(z) - 1) - 2 * m * (ndtr(z - s) - 1) - m, m)
        spread_g = 2 * m * (2 * ndtr(s / np.sqrt(2)) - 1)
        distance = p0 * y + (1 - p0) * distance_to_g
        spread = 2 * p0 * (1 - p0) * m + (1 - p0) ** 2 * spread_g
        return distance - 0.5 * spread

    def randomised_pit(self, actual_kg: object, rng: np.random.Generator) -> np.ndarray:
        """The randomised probability integral transform of each actual catch (uniform if the forecast is calibrated):
        F(y) for a catch, a uniform draw from [0, p_zero] for an empty net (Czado, Gneiting & Held 2009)."""
        y = np.asarray(actual_kg, dtype=float)
        return np.where(y > 0, self.cdf(y), rng.uniform(0.0, 1.0, size=y.shape) * self.p_zero)


def quantile_column(level: float) -> str:
    """The column name of a quantile level: 0.1 -> 'q10_kg', 0.05 -> 'q05_kg', 0.975 -> 'q97.5_kg'."""
    percent = round(level * 100, 6)
    return f"q{int(percent):02d}_kg" if float(percent).is_integer() else f"q{percent:g}_kg"


def forecast_quantiles(rows: pd.DataFrame, levels: list[float]) -> pd.DataFrame:
    """Forecast rows (with DISTRIBUTION_COLUMNS) -> one column of kg per quantile level ('q05_kg', 'q95_kg', ...),
    from each row's stored distribution: no retraining, any level in (0, 1)."""
    if any(not 0 < level < 1 for level in levels):
        raise ValueError(f"quantile levels must lie strictly between 0 and 1, not {levels}")
    distribution = HurdleLogNormal.from_frame(rows)
    return pd.DataFrame({quantile_column(level): distribution.quantile_kg(level) for level in levels}, index=rows.index)
