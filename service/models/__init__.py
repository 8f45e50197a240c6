"""The tables. One module per concern; import from here."""
from .base import Base, UTCDateTime, JSONType
from .org import Unit, Role, User, Membership, Group, GroupMember, Supervision, DefinitionOwner, ApiToken, Proxy
from .definitions import ProcessDefinition, FormVersion, DefinitionDraft
from .instances import ProcessInstance, HumanTask, TaskCandidate, InstanceProblem, InstanceCC, ScheduledStart, TaskHistory
from .audit import AuditEvent, AuditHead
from .activity import Notification, Comment, Attachment, Urge
from .counters import CaseCount, OpenTaskCount
from . import operations as _operations  # noqa: F401  (the mail index, migration 0002)

__all__ = [
    "Base", "UTCDateTime", "JSONType",
    "Unit", "Role", "User", "Membership", "Group", "GroupMember", "Supervision", "DefinitionOwner", "ApiToken",
    "Proxy",
    "ProcessDefinition", "FormVersion", "DefinitionDraft",
    "ProcessInstance", "HumanTask", "TaskCandidate", "InstanceProblem", "InstanceCC", "ScheduledStart", "TaskHistory",
    "AuditEvent", "AuditHead",
    "Notification", "Comment", "Attachment", "Urge",
    "CaseCount", "OpenTaskCount",
]
