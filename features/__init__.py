"""Features: ocean values at each net, indicators, catch history and calendar, into one feature table.

Public functions: `build_feature_table` (pure, on tables), `build_features` (reads the stores for issue dates),
`feature_columns`, and the ocean helpers `site_cell_lookup` / `extract_site_ocean`.
"""

from features.io import build_features, load_site_ocean
from features.ocean import extract_site_ocean, site_cell_lookup
from features.table import KEY_COLUMNS, LABEL_COLUMN, build_feature_table, feature_columns

__all__ = [
    "KEY_COLUMNS",
    "LABEL_COLUMN",
    "build_feature_table",
    "build_features",
    "extract_site_ocean",
    "feature_columns",
    "load_site_ocean",
    "site_cell_lookup",
]
