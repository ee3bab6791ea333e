"""Outgoing email through the clinic's SMTP server (MAIL_* settings)."""

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app


class MailError(RuntimeError):
    """The message could not be handed to the mail server."""


def is_configured() -> bool:
    return bool(current_app.config["MAIL_SERVER"] and current_app.config["MAIL_SENDER"])


@dataclass(frozen=True)
class Attachment:
    file_name: str
    data: bytes
    mime: str  # e.g. "application/pdf"


def send(to: str, subject: str, body: str, attachments: Sequence[Attachment] = ()) -> None:
    config = current_app.config
    if not is_configured():
        raise MailError("email is not set up (MAIL_SERVER and MAIL_SENDER)")
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    for attachment in attachments:
        maintype, subtype = attachment.mime.split("/", 1)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                               filename=attachment.file_name)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config["MAIL_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(str(error)) from error
