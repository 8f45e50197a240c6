"""Deployed definitions (immutable versions), their forms, and owners' drafts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ProcessDefinition(Base):
    """One deployed version of a process. Never changed after insert: running instances depend on it."""

    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_definition_key_version"),
        Index("ix_definition_key_checksum", "key", "checksum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    # {form_id: form_versions.id} pinned at deploy time, so a later form change never alters this version.
    forms: Mapped[dict] = mapped_column(default=dict)
    # [{key, version, id}] of called processes pinned at deploy time.
    called: Mapped[list] = mapped_column(default=list)
    # {lane name: assignment expression} read from the diagram (lane extension properties) and defaults.
    lanes: Mapped[dict] = mapped_column(default=dict)
    startable: Mapped[bool] = mapped_column(default=True)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deployed_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(String(500), default="")


class FormVersion(Base):
    """A form-js schema, versioned by content like definitions."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_key", "version", name="uq_form_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_key: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int]
    schema: Mapped[dict]
    checksum: Mapped[str] = mapped_column(String(64))
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deployed_at: Mapped[datetime]


class DefinitionDraft(Base):
    """What an owner is editing and has not deployed yet."""

    __tablename__ = "definition_drafts"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict] = mapped_column(default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]
    # The deployed version the draft was started from (None for a new process): deploying it over a newer
    # version someone else deployed meanwhile is a conflict the owner must look at (service.drafts).
    base_version: Mapped[int | None]
    # Bumped on every save; a save naming an older revision lost a race with another owner's save.
    revision: Mapped[int] = mapped_column(default=1)
