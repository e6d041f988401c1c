"""Linli's actions on the rasa_sdk Action API, one family per module.

Our engine runs them in-process; `python -m rasa_sdk --actions actions` serves them unchanged to a
Rasa server. Importing this package is cheap: services are built on first use.
"""

from actions.booking import (
    ActionAskAddress,
    ActionAskBookingName,
    ActionAskDate,
    ActionAskPeople,
    ActionAskService,
    ActionAskTime,
    ActionSubmitBooking,
    ValidateBookingForm,
)
from actions.catalog_answer import ActionAnswerCatalog, ActionAnswerEligibility, ActionDeclinePrivateData
from actions.changes import (
    ActionAskRescheduleDate,
    ActionAskRescheduleSlot,
    ActionAskRescheduleTime,
    ActionAskTicketId,
    ActionSubmitCancel,
    ActionSubmitReschedule,
    ValidateCancelForm,
    ValidateRescheduleForm,
)
from actions.emergency import ActionEmergency, ActionEmergencyLocation
from actions.handoff import ActionClarify, ActionRequestHuman
from actions.notices import ActionResumeNotices, ActionStopNotices
from actions.rating import ActionRate
from actions.requests import ActionAskRequestLocation, ActionSubmitRequest, ValidateRequestForm
from actions.status import ActionCheckStatus
from actions.volunteer import ActionAskActivity, ActionSubmitVolunteer, ValidateVolunteerForm

ALL_ACTIONS = (
    ActionAnswerCatalog, ActionAnswerEligibility, ActionAskService, ActionAskDate, ActionAskTime,
    ActionAskPeople, ActionAskAddress, ActionAskBookingName,
    ActionAskTicketId, ActionAskActivity, ValidateBookingForm, ActionSubmitBooking, ValidateRescheduleForm,
    ActionSubmitReschedule, ValidateCancelForm, ActionSubmitCancel, ValidateRequestForm, ActionSubmitRequest,
    ActionCheckStatus, ActionRate, ActionRequestHuman, ActionEmergency, ActionEmergencyLocation, ActionClarify,
    ValidateVolunteerForm, ActionSubmitVolunteer, ActionDeclinePrivateData,
    ActionAskRequestLocation, ActionAskRescheduleDate, ActionAskRescheduleTime, ActionAskRescheduleSlot,
    ActionStopNotices, ActionResumeNotices,
)


def action_registry() -> dict[str, object]:
    """One instance of every action, by name."""
    return {cls().name(): cls() for cls in ALL_ACTIONS}


__all__ = ["ALL_ACTIONS", "action_registry"]
