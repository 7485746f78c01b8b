"""The network app's models, in one place: who does what where (``directory``), the coordination forum
(``coordination``) and saved campaign allocations (``allocations``). Import them from here, never from the
modules below: this package is the only one that lists them."""

from .allocations import Allocation
from .coordination import NOTE_VISIBILITIES, ActionItem, ActionStatus, Decision, Forum, Meeting
from .directory import Link, LinkKind, Organisation, OrganisationType, Sector, Service

__all__ = [
    # directory
    "Organisation", "OrganisationType", "Sector", "Service", "Link", "LinkKind",
    # coordination
    "Forum", "Meeting", "Decision", "ActionItem", "ActionStatus", "NOTE_VISIBILITIES",
    # allocations
    "Allocation",
]
