"""The customer portal: file a complaint, follow it with a tracking link, answer the check-in.

Customers have no account. Filing a complaint gives them a **tracking link** holding a random
token (``secrets.token_urlsafe(32)``); only the token's SHA-256 is kept (``customer_access``),
so nobody can rebuild a link from the database, and the link is shown once, on the
confirmation page. Messages to the customer therefore cannot carry it: they tell the customer
to follow the complaint with the link given when they filed it.

What the tracking page shows is chosen for the customer: the stage, the dates the organisation
committed to, the messages sent *to the customer* and the documents the customer sent. Never
the agents' names, their notes, or the messages meant for the team.

A process asks the customer something by sending them a message whose payload names the
answer it waits for: ``reply_message`` (e.g. ``customer_reply``), ``reply_form`` (a form of
the deployment) and ``reply_by``. The portal offers that form while the process waits, and
hands the answer back as that message.
"""

from engine.errors import NotAllowed, NotFound  # what the portal refuses with, beside its own
from engine.services.portal.filing import (
    CUSTOMER_SOURCE,
    EMAIL_PATTERN,
    MAX_DOCUMENTS,
    QUALIFY_FORM,
    TRACKING_PATH,
    FiledComplaint,
    check_complaint,
    complaint_form,
    file_complaint,
    token_hash,
    tracking_url,
)
from engine.services.portal.publication import (
    BUILTIN_CONSENT_VERSION,
    CUSTOMER_CLOCKS,
    Publication,
    PublishedDeadline,
    published_policy,
)
from engine.services.portal.tracking import (
    CUSTOMER_ACTOR,
    AwaitedReply,
    CustomerMessage,
    ExpectedDate,
    Milestone,
    Tracking,
    TrackingLinkExpired,
    UnknownTrackingLink,
    answer,
    customer_document,
    open_tracking,
)
from engine.trail.events import PORTAL_ACTOR

__all__ = [
    "BUILTIN_CONSENT_VERSION",
    "CUSTOMER_ACTOR",
    "CUSTOMER_CLOCKS",
    "CUSTOMER_SOURCE",
    "EMAIL_PATTERN",
    "MAX_DOCUMENTS",
    "PORTAL_ACTOR",
    "QUALIFY_FORM",
    "TRACKING_PATH",
    "AwaitedReply",
    "CustomerMessage",
    "ExpectedDate",
    "FiledComplaint",
    "Milestone",
    "NotAllowed",
    "NotFound",
    "Publication",
    "PublishedDeadline",
    "Tracking",
    "TrackingLinkExpired",
    "UnknownTrackingLink",
    "answer",
    "check_complaint",
    "complaint_form",
    "customer_document",
    "file_complaint",
    "open_tracking",
    "published_policy",
    "token_hash",
    "tracking_url",
]
