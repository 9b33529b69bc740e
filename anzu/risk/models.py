"""The verifiable audit log: audit events in a Merkle tree with signed checkpoints."""

from __future__ import annotations

from django.db import models


class LogEntry(models.Model):
    """Position ``index`` of the log holds audit event ``event_id`` with leaf hash ``leaf_hash``.

    Indexes are gapless (0, 1, 2, …) and assigned by the sequencer only. Append-only.
    """

    index = models.BigIntegerField(primary_key=True)
    event_id = models.BigIntegerField(unique=True)
    leaf_hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["index"]

    def __str__(self) -> str:
        return f"log[{self.index}] = event {self.event_id}"


class LogState(models.Model):
    """The one row holding the sequencer's cursor and the compact range of the tree."""

    size = models.BigIntegerField(default=0)
    compact = models.JSONField(default=list, help_text="Hex roots of the perfect subtrees.")
    # PostgreSQL: every event of a transaction id below this one is integrated.
    low_txid = models.BigIntegerField(default=0)
    # SQLite: the last integrated event id (writers are serialized, ids commit in order).
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"log size {self.size}"


class SignedCheckpoint(models.Model):
    """A signed note committing to the root of the first ``size`` entries. Append-only."""

    size = models.BigIntegerField()
    root = models.BinaryField(max_length=32)
    note = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["size"])]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"
