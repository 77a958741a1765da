"""The catalog: schema, loader and command line (`python -m catalog`)."""

from catalog.errors import CatalogError, CatalogInvalid
from catalog.loader import check_catalog, default_catalog_dir, load_catalog
from catalog.model import Catalog

__all__ = [
    "Catalog",
    "CatalogError",
    "CatalogInvalid",
    "check_catalog",
    "default_catalog_dir",
    "load_catalog",
]
