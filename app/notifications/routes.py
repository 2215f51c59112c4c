"""The inbox (every account), how messages arrive (every account), and the administrator's messages page: failed
deliveries to send again, and in development the outbox of SMS and e-mails that did not leave the machine; the
one-tap answers to a shift reminder."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.db_types import page_number
from app.domain import apply
from app.extensions import db
from app.notifications.channels import dev_codes
from app.notifications.forms import ChannelsForm
from app.notifications.kinds import KINDS, render, rendered_for
from app.notifications.models import Delivery, DeliveryStatus, Message
from app.notifications.services import mark_read, resend_delivery, update_channels
from app.permissions import Permission, logged_in, permission_required, public

bp = Blueprint("messages", __name__)


@bp.route("/inbox")
@logged_in
def inbox():
    """The account's messages, newest first, in the reader's language; the ones shown are then marked read."""
    query = (
        select(Message)
        .where(Message.recipient_id == current_user.id)
        .options(selectinload(Message.sender))
        .order_by(Message.id.desc())
    )
    page = db.paginate(query, page=page_number(), per_page=30, error_out=False)
    items = [(message, render(message)) for message in page.items]
    html = render_template("messages/inbox.html", page=page, items=items)
    if items and any(message.read_at is None for message, _rendered in items):
        mark_read(current_user, max(message.id for message, _rendered in items))
        db.session.commit()
    return html


@bp.route("/settings/messages", methods=["GET", "POST"])
@logged_in
def channels():
    form = ChannelsForm(
        data={
            "sms": current_user.sms_enabled and bool(current_user.phone),
            "email_enabled": current_user.email_enabled and bool(current_user.email),  # no address, no e-mail
            "email": current_user.email,
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit() and apply(
        lambda: update_channels(
            current_user, sms=form.sms.data, email=form.email_enabled.data, address=form.email.data, by=current_user
        ),
        _("Your message settings are saved."),
        form=form,
    ):
        return redirect(url_for("messages.channels"))
    return render_template("messages/channels.html", form=form), 422 if form.errors else 200


STATUS_FILTERS = {"failed": DeliveryStatus.FAILED, "pending": DeliveryStatus.PENDING, "skipped": DeliveryStatus.SKIPPED}


@bp.route("/admin/messages")
@permission_required(Permission.MANAGE_ACCOUNTS)
def deliveries():
    """Deliveries by status (failed first), or the development outbox (``?view=outbox``): what was "sent" without
    leaving the machine, with its text."""
    outbox = request.args.get("view") == "outbox"
    status = STATUS_FILTERS.get(request.args.get("status", ""))
    query = select(Delivery).options(selectinload(Delivery.message).selectinload(Message.recipient))
    if outbox:  # what was "sent" here, and what waits (the quiet hours, a retry)
        query = query.where((Delivery.provider == "dev") | (Delivery.status == DeliveryStatus.PENDING))
    elif status is not None:
        query = query.where(Delivery.status == status)
    page = db.paginate(query.order_by(Delivery.id.desc()), page=page_number(), per_page=50, error_out=False)
    unsent = {d.id: rendered_for(d.message).text for d in page.items if not d.body}  # as the recipient will read it
    return render_template(
        "messages/deliveries.html",
        page=page,
        outbox=outbox,
        status=request.args.get("status", "") if status is not None else "",
        kinds=KINDS,
        codes=dev_codes() if outbox else [],
        unsent=unsent,
        dev=current_app.config["SMS_BACKEND"] == "dev" or current_app.config["EMAIL_BACKEND"] == "dev",
    )


@bp.route("/admin/messages/<int:delivery_id>/resend", methods=["POST"])
@permission_required(Permission.MANAGE_ACCOUNTS)
def resend(delivery_id: int):
    delivery = db.session.get(Delivery, delivery_id) or abort(404)
    apply(lambda: resend_delivery(delivery, by=current_user), _("The message is queued to be sent again."))
    return redirect(url_for("messages.deliveries", status="failed"))


# --- one-tap answers to a reminder ------------------------------------------------------------------------------


@bp.route("/r/<token>", methods=["GET", "POST"])
@public
def answer(token: str):
    """A reminder's "I'll come" / "I can't come": GET shows one button and changes nothing; its POST does it. No
    login: the signed link is the permission. A link that cannot be used says why (400 or 410), never a 500."""
    from app.notifications.links import LinkError, read_answer, use_answer

    try:
        pending = read_answer(token)
    except LinkError as error:
        return render_template("messages/answer.html", error=error.message), error.status
    form = FlaskForm()
    if form.validate_on_submit():
        done = apply(lambda: use_answer(token), _("Thank you: your answer is noted."))
        return render_template("messages/answer.html", answer=pending, done=done), 200 if done else 409
    return render_template("messages/answer.html", answer=pending, form=form)
