"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from cantine_portal.models.base import UTCDateTime, row_id, utcnow
from cantine_portal.models.booking import (
    Basket,
    Credit,
    Payment,
    PaymentEvent,
    Receipt,
    ReceiptCounter,
    Reservation,
)
from cantine_portal.models.content import ContactMessage, Document
from cantine_portal.models.family import Account, Child, Enrollment, Family, Guardian
from cantine_portal.models.security import AuditLog, LoginSession, LoginThrottle, PasswordToken
from cantine_portal.models.tenant import ClosedDay, Service, ServicePrice, Structure

__all__ = [
    "Account", "AuditLog", "Basket", "Child", "ClosedDay", "ContactMessage", "Credit",
    "Document", "Enrollment", "Family", "Guardian", "LoginSession", "LoginThrottle",
    "PasswordToken", "Payment", "PaymentEvent", "Receipt", "ReceiptCounter", "Reservation",
    "Service", "ServicePrice", "Structure", "UTCDateTime", "row_id", "utcnow",
]
