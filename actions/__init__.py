"""Linli's actions on the rasa_sdk Action API, one family per module.

Our engine runs them in-process; `python -m rasa_sdk --actions actions` serves them unchanged to a
Rasa server. Importing this package is cheap: services are built on first use.
"""

from actions.booking import ActionAskDate, ActionAskService, ActionAskTime, ActionSubmitBooking, ValidateBookingForm
from actions.catalog_answer import ActionAnswerCatalog, ActionAnswerEligibility
from actions.changes import (
    ActionAskTicketId,
    ActionSubmitCancel,
    ActionSubmitReschedule,
    ValidateCancelForm,
    ValidateRescheduleForm,
)
from actions.handoff import ActionClarify, ActionEmergency, ActionRequestHuman
from actions.rating import ActionRate
from actions.requests import ActionCheckStatus, ActionSubmitRequest, ValidateRequestForm
from actions.volunteer import ActionAskActivity, ActionSubmitVolunteer, ValidateVolunteerForm

ALL_ACTIONS = (
    ActionAnswerCatalog, ActionAnswerEligibility, ActionAskService, ActionAskDate, ActionAskTime,
    ActionAskTicketId, ActionAskActivity, ValidateBookingForm, ActionSubmitBooking, ValidateRescheduleForm,
    ActionSubmitReschedule, ValidateCancelForm, ActionSubmitCancel, ValidateRequestForm, ActionSubmitRequest,
    ActionCheckStatus, ActionRate, ActionRequestHuman, ActionEmergency, ActionClarify, ValidateVolunteerForm,
    ActionSubmitVolunteer,
)


def action_registry() -> dict[str, object]:
    """One instance of every action, by name."""
    return {cls().name(): cls() for cls in ALL_ACTIONS}


__all__ = ["ALL_ACTIONS", "action_registry"]
