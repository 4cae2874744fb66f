"""Yellowtail counted by size class (銘柄), as some cooperatives land and report them: ブリ, ガンド, フクラギ in 本.

The world's yellowtail catch (kg) at the nets of SIZE_CLASS_COOPS is split by a seasonal share of kg per class
(adults in winter, young fish in summer and autumn) with day-to-day noise, and counted in fish by each class's
mean weight. The noise comes from its own random stream (seeded from the world's seed), so the world's other
draws are the same with or without this split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIZE_CLASS_COOPS = ("氷見漁協",)  # cooperatives whose yellowtail are reported by size class, in fish
SIZE_CLASS_SPECIES = "ブリ"  # the species name the catch files use (setnet's name_ja of yellowtail)
KG_PER_FISH = {"ブリ": 9.0, "ガンド": 4.5, "フクラギ": 1.5}  # the world's mean weight of one fish per class
# Share of the yellowtail kg per class by month (ブリ, ガンド, フクラギ): 寒ブリ in winter, フクラギ in summer-autumn.
MONTH_SHARES = {
    **dict.fromkeys((12, 1, 2), (0.70, 0.20, 0.10)),
    **dict.fromkeys((3, 4, 5), (0.30, 0.40, 0.30)),
    **dict.fromkeys((6, 7, 8), (0.10, 0.30, 0.60)),
    **dict.fromkeys((9, 10, 11), (0.30, 0.30, 0.40)),
}
SHARE_CONCENTRATION = 30.0  # Dirichlet concentration around the month's shares (higher: less day-to-day noise)
STREAM = 8  # the random stream of the split: np.random.default_rng([seed, STREAM])


def split_by_size(catches: pd.DataFrame, site_ids: list[str], seed: int) -> pd.DataFrame:
    """Yellowtail rows (date 'YYYY-MM-DD', site_id, catch_kg) of site_ids -> one row per class: date, site_id,
    size_class, fish (本, whole fish), in date, site and class order."""
    rows = catches[(catches.species == SIZE_CLASS_SPECIES) & catches.site_id.isin(site_ids)]
    rng = np.random.default_rng([seed, STREAM])
    months = pd.to_datetime(rows.date).dt.month.to_numpy()
    classes = list(KG_PER_FISH)
    means = np.array([MONTH_SHARES[m] for m in months]).reshape(len(rows), len(classes))
    shares = np.array([rng.dirichlet(SHARE_CONCENTRATION * mean) for mean in means]).reshape(len(rows), len(classes))
    weights = np.array([KG_PER_FISH[c] for c in classes])
    fish = np.rint(rows.catch_kg.to_numpy()[:, None] * shares / weights[None, :]).astype(int)
    return pd.DataFrame({
        "date": np.repeat(rows.date.to_numpy(), len(classes)),
        "site_id": np.repeat(rows.site_id.to_numpy(), len(classes)),
        "size_class": np.tile(classes, len(rows)),
        "fish": fish.ravel(),
    })
