"""The ocean product table (ingest/tables/products.toml, or the file named by the setting `product_table`).

Each product says how its files are recognised and what it calls the canonical variables; see the table's header.
"""

from __future__ import annotations

import fnmatch
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ingest.dictionaries import table_path
from ingest.errors import IngestError
from setnet.settings import Settings

CANONICAL_NAMES = ("temp_c", "salinity_psu", "eastward_current_ms", "northward_current_ms", "ssh_m")
PRODUCT_KEYS = {"description", "file_pattern", "match_attributes", "variables", "units", "forecast",
                "provisional_marker", "required"}


@dataclass(frozen=True)
class Product:
    """One ocean product: how to recognise its files and the names it gives the canonical variables."""

    name: str
    description: str = ""
    file_patterns: tuple[str, ...] = ()
    match_attributes: dict[str, str] = field(default_factory=dict)
    variables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    forecast: bool = False
    provisional_marker: str = ""
    required: tuple[str, ...] = ()

    def matches(self, file_name: str, attributes: dict) -> bool:
        """True when the file name fits a pattern or a global attribute contains the expected text."""
        if any(fnmatch.fnmatch(file_name.lower(), p.lower()) for p in self.file_patterns):
            return True
        return any(text.lower() in str(attributes.get(key, "")).lower() for key, text in self.match_attributes.items())

    def is_provisional(self, file_name: str) -> bool:
        """True for a preliminary file that a final one replaces later (e.g. OISST's *_preliminary.nc)."""
        return bool(self.provisional_marker) and self.provisional_marker in file_name


GENERIC = Product("cf_generic", "Any CF NetCDF grid: variables found by standard_name, then by common names")


def _as_tuple(value: object) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]


def parse_product(name: str, entry: dict, source: str) -> Product:
    """One [products.NAME] table -> Product; IngestError naming the bad key."""
    unknown = set(entry) - PRODUCT_KEYS
    if unknown:
        raise IngestError(f"{source}: product {name} has unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("variables", "units"):
        bad = set(entry.get(key, {})) - set(CANONICAL_NAMES)
        if bad:
            raise IngestError(f"{source}: product {name}: {key} names {', '.join(sorted(bad))}, "
                              f"not one of {', '.join(CANONICAL_NAMES)}")
    return Product(
        name=name,
        description=str(entry.get("description", "")),
        file_patterns=_as_tuple(entry.get("file_pattern", ())),
        match_attributes={str(k): str(v) for k, v in entry.get("match_attributes", {}).items()},
        variables={k: _as_tuple(v) for k, v in entry.get("variables", {}).items()},
        units={k: str(v) for k, v in entry.get("units", {}).items()},
        forecast=bool(entry.get("forecast", False)),
        provisional_marker=str(entry.get("provisional_marker", "")),
        required=_as_tuple(entry.get("required", ())),
    )


@dataclass(frozen=True)
class ProductTable:
    """The products in table order, and a checksum of the table file."""

    products: dict[str, Product]
    checksum: str

    def get(self, name: str) -> Product:
        """The product called `name`; IngestError listing the known ones otherwise."""
        if name == GENERIC.name:
            return GENERIC
        if name not in self.products:
            raise IngestError(f"unknown product {name!r}: the product table knows "
                              f"{', '.join([*self.products, GENERIC.name])}")
        return self.products[name]

    def identify(self, file_name: str, attributes: dict) -> Product:
        """The first product whose file pattern or attributes fit, else the generic CF reader."""
        return next((p for p in self.products.values() if p.matches(file_name, attributes)), GENERIC)


def load_product_table(settings: Settings | None = None, path: Path | None = None) -> ProductTable:
    """Read the product table from `path`, the setting `product_table`, or the shipped default."""
    path = path or table_path(settings, "product_table", "products.toml")
    raw = path.read_bytes()
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise IngestError(f"{path}: not a readable TOML product table ({error})") from None
    products = {name: parse_product(name, entry, str(path)) for name, entry in document.get("products", {}).items()}
    return ProductTable(products, hashlib.sha256(raw).hexdigest())
