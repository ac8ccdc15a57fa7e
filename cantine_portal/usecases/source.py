"""« Code source » (footer): the offer of the portal's source the AGPL-3.0 makes to its users (§13).

Either the deployment names where its source is published (``CANTINE_SOURCE_URL``, e.g. the
commune's or its provider's public repository of the version it runs), or the portal hands out
the files it runs from (``infra/source_archive``), which is the running version by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from cantine_portal.config import PROJECT_ROOT, get_settings
from cantine_portal.infra.source_archive import cached_archive

ARCHIVE_NAME = "cantine_portal-source.tar.gz"


@dataclass(frozen=True)
class SourceOffer:
    redirect_url: str | None = None
    archive: bytes | None = None
    filename: str = ARCHIVE_NAME


def source_offer() -> SourceOffer:
    """Where the source is: the configured public address, or the archive of the running files."""
    url = get_settings().source_url
    if url:
        return SourceOffer(redirect_url=url)
    return SourceOffer(archive=cached_archive(PROJECT_ROOT))
