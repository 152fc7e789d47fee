"""The payload queries of a conditions database (blobs, their metadata, their sizes).

A cold history reads hundreds of payloads at once: every query here takes
them in batches of :data:`BATCH` hashes, one round trip per batch.
:class:`PayloadQueries` is a part of
:class:`~inspector.conddb.database.ConditionsDB`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import func, select

from inspector.conddb import schema as s
from inspector.conddb.models import Payload, PayloadInfo
from inspector.conddb.query_part import QueryPart
from inspector.conddb.rows import as_datetime, payload_row
from inspector.errors import NotFound

__all__ = ["BATCH", "PayloadQueries"]

#: Hashes per query: well under every backend's limit on an IN list.
BATCH: Final = 500


class PayloadQueries(QueryPart):
    """Payloads by hash, for :class:`~inspector.conddb.database.ConditionsDB`."""

    def payload(self, payload_hash: str) -> Payload:
        """A payload and its blob by hash."""
        with self._connect() as conn:
            row = conn.execute(select(s.payload).where(s.payload.c.hash == payload_hash)).first()
        if row is None:
            raise NotFound(f"payload {payload_hash!r} does not exist in database {self.alias!r}")
        return payload_row(row._mapping)

    def payloads(self, hashes: Sequence[str]) -> dict[str, Payload]:
        """Several payloads in as few queries as possible (batches of 500).

        What a cold history needs: one round trip per batch instead of one per
        payload.  Hashes that do not exist are simply absent from the answer.
        """
        found: dict[str, Payload] = {}
        unique = sorted(set(hashes))
        p = s.payload.c
        # Insertion times as text, parsed with fromisoformat: cheaper per row than
        # the column type's own conversion, which a cold history pays a thousand times.
        columns = (p.hash, p.object_type, p.version, p.data, p.streamer_info)
        inserted = s.timestamp_text(p.insertion_time)
        with self._connect() as conn:
            for lo in range(0, len(unique), BATCH):
                batch = unique[lo : lo + BATCH]
                query = select(*columns, inserted).where(p.hash.in_(batch))
                for h, kind, version, data, info, when in conn.execute(query):
                    found[h] = Payload(
                        hash=h,
                        object_type=kind,
                        version=str(version),
                        data=bytes(data),
                        streamer_info=bytes(info or b""),
                        insertion_time=as_datetime(when),
                    )
        return found

    def payload_info(self, payload_hash: str) -> PayloadInfo:
        """Payload metadata (type, version, size) without fetching the blob."""
        query = select(
            s.payload.c.hash,
            s.payload.c.object_type,
            s.payload.c.version,
            s.blob_length(s.payload.c.data),
            s.payload.c.insertion_time,
            s.payload.c.streamer_info,
        ).where(s.payload.c.hash == payload_hash)
        with self._connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"payload {payload_hash!r} does not exist in database {self.alias!r}")
        return PayloadInfo(row[0], row[1], str(row[2]), int(row[3]), row[4], bytes(row[5] or b""))

    def payload_sizes(self, hashes: Sequence[str]) -> dict[str, int]:
        """Blob sizes in bytes by hash, without fetching the blobs (batches of 500).

        What a cost estimate needs before deciding to run a history as a
        background job.  Hashes that do not exist are absent from the answer.
        """
        sizes: dict[str, int] = {}
        unique = sorted(set(hashes))
        with self._connect() as conn:
            for lo in range(0, len(unique), BATCH):
                batch = unique[lo : lo + BATCH]
                query = select(s.payload.c.hash, func.length(s.payload.c.data)).where(
                    s.payload.c.hash.in_(batch)
                )
                sizes.update((str(h), int(n or 0)) for h, n in conn.execute(query))
        return sizes
