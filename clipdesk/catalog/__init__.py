"""The SQLite catalog: schema, migrations and queries. No Qt here."""

from clipdesk.catalog.db import Catalog, PhotoRow
from clipdesk.catalog.schema import SCHEMA_VERSION

__all__ = ["Catalog", "PhotoRow", "SCHEMA_VERSION"]
