"""Running cases and the human-task rows an inbox reads (it never loads a workflow)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

INSTANCE_STATUSES = ("running", "suspended", "completed", "cancelled", "error")
TASK_STATES = ("open", "completed", "cancelled")


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (
        Index("ix_instance_unit_status_started", "unit_id", "status", "started_at"),
        Index("ix_instance_status_started", "status", "started_at"),
        Index("ix_instance_initiator_started", "initiator_id", "started_at"),
        Index("ix_instance_key_started", "definition_key", "started_at"),
        Index("ix_instance_next_timer", "next_timer_at"),
        # Supervision (issue 6, migration 0004): the case list's default order and date range, per unit too,
        # the process filter within a supervisor's units, and completions for the dashboard's durations.
        Index("ix_instance_started", "started_at", "id"),
        Index("ix_instance_unit_started", "unit_id", "started_at"),
        Index("ix_instance_unit_key_started", "unit_id", "definition_key", "started_at"),
        # Dashboard (issue 8, migration 0006): the newest completions in a window, read from the index alone.
        Index("ix_instance_status_ended", "status", "ended_at", "unit_id", "definition_key", "started_at"),
        # The overdue filter (issue 8, migration 0006): only the cases with a task marked late, newest first, and
        # per unit for counting them.
        Index("ix_instance_late", "started_at", "id", "unit_id", sqlite_where=text("late_tasks > 0"),
              postgresql_where=text("late_tasks > 0")),
        Index("ix_instance_late_unit", "unit_id", "started_at", "late_tasks", sqlite_where=text("late_tasks > 0"),
              postgresql_where=text("late_tasks > 0")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    definition_key: Mapped[str] = mapped_column(String(128))
    definition_version: Mapped[int]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(300))
    case_no: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    initiator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # The SpiffWorkflow state without its specs (those come from the definition, parsed once and cached).
    state: Mapped[str] = mapped_column(Text)
    state_version: Mapped[int] = mapped_column(default=1)
    next_timer_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    # The names of the open steps, kept for lists ("where it stands") without a join.
    current_steps: Mapped[str] = mapped_column(String(500), default="")
    # How many of its open tasks the worker has marked overdue (escalated_at set). Kept by the database trigger on
    # human_tasks (migration 0006) — never written by the application — so the overdue filter can walk the cases
    # that have one instead of every open task (see service.counters).
    late_tasks: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class HumanTask(Base):
    """One row per ready manual task, kept in step with the workflow by ``service.task_sync``."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_task_assignee_state_created", "assignee_id", "state", "created_at"),
        Index("ix_task_instance_state", "instance_id", "state"),
        Index("ix_task_instance_spiff", "instance_id", "spiff_task_id"),
        Index("ix_task_completed_by", "completed_by_id", "completed_at"),
        Index("ix_task_unit_state", "unit_id", "state"),
        # Supervision (issue 6, migration 0004): overdue and current-step filters answered from the index alone,
        # the heatmap per process and step, and completed tasks by time for the dashboard's durations.
        Index("ix_task_open_due", "state", "due_at", "unit_id", "instance_id"),
        Index("ix_task_state_element", "state", "element_id", "unit_id", "instance_id"),
        Index("ix_task_key_state_element", "definition_key", "state", "element_id"),
        # Dashboard and worker (issue 8, migration 0006): the newest completed steps in a window from the index
        # alone; open tasks past their deadline that the worker has not yet marked (escalated_at), and marked
        # ones whose deadline moved later — the two small corrections to the dashboard's late-task counters —
        # and tasks not yet reminded, so each worker pass follows the unmarked few rather than every late task.
        # They replace (state, due_at), which ix_task_open_due already begins with.
        Index("ix_task_state_completed", "state", "completed_at", "unit_id", "definition_key", "element_id",
              "created_at"),
        Index("ix_task_unmarked_due", "state", "due_at", sqlite_where=text("escalated_at IS NULL"),
              postgresql_where=text("escalated_at IS NULL")),
        Index("ix_task_marked_due", "state", "due_at", sqlite_where=text("escalated_at IS NOT NULL"),
              postgresql_where=text("escalated_at IS NOT NULL")),
        Index("ix_task_unreminded_due", "state", "due_at", sqlite_where=text("reminded_at IS NULL"),
              postgresql_where=text("reminded_at IS NULL")),
        # Delegations and proxies are rare: over the few rows that have one, the index is small and, unlike an
        # index full of NULLs, its statistics tell SQLite's planner that a lookup by person is selective.
        Index("ix_task_delegate", "delegate_id", "state", sqlite_where=text("delegate_id IS NOT NULL"),
              postgresql_where=text("delegate_id IS NOT NULL")),
        Index("ix_task_original_assignee", "original_assignee_id",
              sqlite_where=text("original_assignee_id IS NOT NULL"),
              postgresql_where=text("original_assignee_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    form_key: Mapped[str | None] = mapped_column(String(128))
    definition_key: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When a proxy (代理) or transfer moved the task, whom it was first meant for.
    original_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The assignment as written (expression) and as shown ("办公室 · 示例区委").
    assignment: Mapped[str] = mapped_column(String(300), default="")
    queue_label: Mapped[str] = mapped_column(String(300), default="")
    # Resolved candidates at creation (usernames), kept after the task closes for the record.
    candidates: Mapped[list] = mapped_column(default=list)
    mi_item: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict | None]
    # 委派: the user asked to work on it; their input comes back to the holder.
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delegate_data: Mapped[dict | None]
    escalated_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]


class TaskCandidate(Base):
    """Who may claim an unassigned open task. Rows exist only while the task is open, so the queue stays small."""

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_candidate_user_task", "user_id", "task_id"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class InstanceProblem(Base):
    """Something that needs a person: a task that resolved to nobody, a script that failed, a timer error."""

    __tablename__ = "instance_problems"
    __table_args__ = (Index("ix_problem_open", "resolved_at", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    kind: Mapped[str] = mapped_column(String(32))
    element_id: Mapped[str | None] = mapped_column(String(128))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class ScheduledStart(Base):
    """One row per recurring start that happened (e.g. the half-yearly hearing for a unit in 2026-H1).

    The primary key makes the start happen exactly once however many workers race for it.
    """

    __tablename__ = "scheduled_starts"

    definition_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    created_at: Mapped[datetime]


class TaskHistory(Base):
    """Finished engine tasks cut off a long-running instance's live state (service.engine.prune).

    Kept so that what happened long ago still shows: the elements that ran and the flows taken between them.
    """

    __tablename__ = "task_history"
    __table_args__ = (Index("ix_task_history_instance", "instance_id", "bpmn_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(128))
    spec_name: Mapped[str] = mapped_column(String(300))
    state: Mapped[int]
    changed_at: Mapped[float]
    next_elements: Mapped[list] = mapped_column(default=list)
    pruned_at: Mapped[datetime]


class InstanceCC(Base):
    """抄送: the user may read the case and sees it under 抄送我的."""

    __tablename__ = "instance_ccs"
    __table_args__ = (Index("ix_cc_user_created", "user_id", "created_at"),)

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
