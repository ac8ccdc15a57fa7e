"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from cantine_portal.models.absence import Absence, AbsenceDay, AbsenceDayOutcome, AbsenceStatus
from cantine_portal.models.base import UTCDateTime, row_id, utcnow
from cantine_portal.models.booking import (
    Basket,
    BasketStatus,
    Credit,
    CreditKind,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Receipt,
    ReceiptCounter,
    Reservation,
    ReservationStatus,
)
from cantine_portal.models.content import ContactMessage, Document
from cantine_portal.models.family import Account, AccountRole, Child, Enrollment, Family, Guardian, StaffRole
from cantine_portal.models.pricing import (
    FamilyQuotient,
    PriceBracket,
    PriceGrid,
    QuotientDocument,
    QuotientDocumentStatus,
    QuotientSource,
)
from cantine_portal.models.regie import (
    CounterMethod,
    CounterPayment,
    CounterStatus,
    JournalClosure,
    Refund,
    RefundMethod,
)
from cantine_portal.models.rollcall import AbsentRule, MarkStatus, RollCallMark, UnbookedRule
from cantine_portal.models.security import AuditLog, LoginSession, LoginThrottle, PasswordToken
from cantine_portal.models.tasks import CalendarFeedToken, Job, JobStatus, Reminder, ReminderKind
from cantine_portal.models.tenant import ClosedDay, Service, ServicePrice, Structure

__all__ = [
    "Absence",
    "AbsenceDay",
    "AbsenceDayOutcome",
    "AbsenceStatus",
    "AbsentRule",
    "Account",
    "AccountRole",
    "AuditLog",
    "Basket",
    "BasketStatus",
    "CalendarFeedToken",
    "Child",
    "ClosedDay",
    "ContactMessage",
    "CounterMethod",
    "CounterPayment",
    "CounterStatus",
    "Credit",
    "CreditKind",
    "Document",
    "Enrollment",
    "Family",
    "FamilyQuotient",
    "Guardian",
    "Job",
    "JobStatus",
    "JournalClosure",
    "LoginSession",
    "LoginThrottle",
    "MarkStatus",
    "PasswordToken",
    "Payment",
    "PaymentEvent",
    "PaymentStatus",
    "PriceBracket",
    "PriceGrid",
    "QuotientDocument",
    "QuotientDocumentStatus",
    "QuotientSource",
    "Receipt",
    "ReceiptCounter",
    "Refund",
    "RefundMethod",
    "Reminder",
    "ReminderKind",
    "Reservation",
    "ReservationStatus",
    "RollCallMark",
    "Service",
    "ServicePrice",
    "StaffRole",
    "Structure",
    "UTCDateTime",
    "UnbookedRule",
    "row_id",
    "utcnow",
]
