"""Running totals the supervision dashboard reads instead of counting the big tables (issue 8, migration 0006).

They are kept by database triggers on ``process_instances`` and ``human_tasks`` (created by the migration), so
every write — ORM flush, Core UPDATE, a bulk load with the triggers on — changes them in its own transaction,
and no code path can forget to. ``service.counters`` reads them, recounts them and rebuilds them.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class CaseCount(Base):
    """Cases per unit and process: ``kind`` "status" (``bucket`` = the status, e.g. running), "started" and
    "completed" (``bucket`` = the Monday, Asia/Shanghai, of the week it started / was completed, as YYYY-MM-DD)."""

    __tablename__ = "case_counts"

    # Key order: a figure reads one kind, and the weekly kinds only their last weeks (a range of `bucket`).
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class OpenTaskCount(Base):
    """Open human tasks per unit, process and step; ``late`` = the worker has marked the task overdue
    (``escalated_at`` set). Deadlines pass without any write, so "overdue now" is these marked counts corrected by
    the few tasks the worker has not marked yet (see ``service.counters.open_tasks``)."""

    __tablename__ = "open_task_counts"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    late: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
