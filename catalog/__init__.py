"""The catalog: schema, loader and command line (`python -m catalog`)."""

from catalog.catalog import Catalog
from catalog.errors import CatalogError, CatalogInvalid
from catalog.loader import check_catalog, default_catalog_dir, load_catalog

__all__ = [
    "Catalog",
    "CatalogError",
    "CatalogInvalid",
    "check_catalog",
    "default_catalog_dir",
    "load_catalog",
]
