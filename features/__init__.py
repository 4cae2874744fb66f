"""Features: ocean values at each net, indicators, catch history and calendar, into one feature table.

Public functions: `build_feature_table` (pure, on tables), `build_features` (reads the stores for issue dates),
`write_features` (the same, streamed to Parquet in blocks of issue dates), `feature_columns`, `ocean_at_nets` (the
ocean at each net for an issue date, with its anomaly: what the report warns from), and the ocean helpers
`site_cell_lookup` / `site_footprints` / `extract_site_ocean`. See docs/features.md for every signal.
"""

from features.io import build_features, load_site_ocean, ocean_at_nets, write_features
from features.ocean import extract_site_ocean, site_cell_lookup, site_footprints
from features.table import KEY_COLUMNS, LABEL_COLUMN, build_feature_table, feature_columns

__all__ = [
    "KEY_COLUMNS",
    "LABEL_COLUMN",
    "build_feature_table",
    "build_features",
    "extract_site_ocean",
    "feature_columns",
    "load_site_ocean",
    "ocean_at_nets",
    "site_cell_lookup",
    "site_footprints",
    "write_features",
]
