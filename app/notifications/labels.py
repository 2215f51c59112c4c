"""Translated titles of the delivery statuses."""

from flask_babel import lazy_gettext as _l

from app.notifications.models import DeliveryStatus

DELIVERY_STATUS_LABELS = {
    DeliveryStatus.PENDING: _l("Waiting to be sent"),
    DeliveryStatus.SENDING: _l("Sending"),
    DeliveryStatus.SENT: _l("Sent"),
    DeliveryStatus.FAILED: _l("Failed"),
    DeliveryStatus.SKIPPED: _l("Not sent"),
}
