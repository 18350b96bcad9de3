"""XMP keywords: read them from sidecars and photos, merge ClipDesk's tags into sidecars.

No Qt. Tag paths use ``|`` (``Animals|Dog``). See :mod:`clipdesk.sidecars.xmp.fields` for which
fields
are written and how they are kept consistent, :mod:`clipdesk.sidecars.xmp.naming` for sidecar names
and
which one wins when both exist, :mod:`clipdesk.sidecars.xmp.sidecar_read` for reading a sidecar
safely,
and :mod:`clipdesk.sidecars.xmp.sidecar` for the write guarantees. The photographer's marks:
:mod:`clipdesk.sidecars.xmp.marks` (read), :mod:`clipdesk.sidecars.xmp.marks_plan` (written, three
ways), :mod:`clipdesk.sidecars.xmp.sync_plan` (an export's part in the two-way sync).
"""

from clipdesk.sidecars.xmp.embedded import (
    PhotoKeywords,
    read_embedded_keywords,
    read_photo_keywords,
)
from clipdesk.sidecars.xmp.errors import PhotoMetadataError, SidecarError, XmpError
from clipdesk.sidecars.xmp.export import ExportReport, PhotoOutcome, export_one, export_sidecars
from clipdesk.sidecars.xmp.fields import Keywords, MergeResult, merge, normalize_path
from clipdesk.sidecars.xmp.naming import DEFAULT_NAMING, Naming, find_sidecar, sidecar_path
from clipdesk.sidecars.xmp.sidecar import SidecarPlan, SidecarWrite, plan_sidecar, update_sidecar
from clipdesk.sidecars.xmp.sidecar_read import (
    Fingerprint,
    SidecarRead,
    read_photo_sidecar,
    read_sidecar,
)

__all__ = [
    "DEFAULT_NAMING",
    "ExportReport",
    "Fingerprint",
    "Keywords",
    "MergeResult",
    "Naming",
    "PhotoKeywords",
    "PhotoMetadataError",
    "PhotoOutcome",
    "SidecarError",
    "SidecarPlan",
    "SidecarRead",
    "SidecarWrite",
    "XmpError",
    "export_one",
    "export_sidecars",
    "find_sidecar",
    "merge",
    "normalize_path",
    "plan_sidecar",
    "read_embedded_keywords",
    "read_photo_keywords",
    "read_photo_sidecar",
    "read_sidecar",
    "sidecar_path",
    "update_sidecar",
]
