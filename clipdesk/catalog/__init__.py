"""The SQLite catalog: schema, migrations and queries. No Qt here."""

from clipdesk.catalog.db import Catalog, CatalogDamaged, PhotoRow
from clipdesk.catalog.schema import SCHEMA_VERSION, CatalogTooNew

__all__ = ["Catalog", "CatalogDamaged", "CatalogTooNew", "PhotoRow", "SCHEMA_VERSION"]
