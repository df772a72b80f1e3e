"""Email: typed contexts, rendering (text + inlined HTML), message assembly, unsubscribe tokens, senders.

Typical use by a job::

    renderer = EmailRenderer(settings.emails_dir, public_base_url=settings.public_base_url)
    token = UnsubscribeTokens(settings.secret_key).sign(user.id, context.kind)
    link = unsubscribe_url(settings.public_base_url, token)
    rendered = renderer.render(context, unsubscribe_url=link)
    message = build_message(rendered, from_address=settings.email_from, to_email=user.email,
                            to_name=user.name, idempotency_key=key, unsubscribe_url=link)
    await build_sender(settings).send(message)
"""

from cohort.mail.message import build_message, message_id_for
from cohort.mail.render import EmailRenderer, RenderedEmail, default_emails_dir
from cohort.mail.senders import (
    DeliveryError,
    FileSender,
    MailSender,
    PermanentDeliveryError,
    SmtpSecurity,
    SmtpSender,
    TemporaryDeliveryError,
    build_sender,
)
from cohort.mail.templates import (
    EMAIL_KINDS,
    AnyEmailContext,
    DeadlineReminder,
    EmailContext,
    FeedbackReceived,
    LearnerDigest,
    MenteeAtRisk,
    MentorDigest,
    ProjectDue,
    ReleasedLesson,
    ReviewReminder,
    ReviewToDo,
    SubmissionReminder,
    UpcomingLesson,
    decode_context,
)
from cohort.mail.unsubscribe import (
    InvalidUnsubscribeToken,
    UnsubscribeRequest,
    UnsubscribeTokens,
    unsubscribe_url,
)
from cohort.mail.wording import local_time_label

__all__ = [
    "EMAIL_KINDS",
    "AnyEmailContext",
    "DeadlineReminder",
    "DeliveryError",
    "EmailContext",
    "EmailRenderer",
    "FeedbackReceived",
    "FileSender",
    "InvalidUnsubscribeToken",
    "LearnerDigest",
    "MailSender",
    "MenteeAtRisk",
    "MentorDigest",
    "PermanentDeliveryError",
    "ProjectDue",
    "ReleasedLesson",
    "RenderedEmail",
    "ReviewReminder",
    "ReviewToDo",
    "SmtpSecurity",
    "SmtpSender",
    "SubmissionReminder",
    "TemporaryDeliveryError",
    "UnsubscribeRequest",
    "UnsubscribeTokens",
    "UpcomingLesson",
    "build_message",
    "build_sender",
    "decode_context",
    "default_emails_dir",
    "local_time_label",
    "message_id_for",
    "unsubscribe_url",
]
