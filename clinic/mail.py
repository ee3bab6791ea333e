"""Outgoing email through the clinic's SMTP server (MAIL_* settings)."""

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app


class MailError(RuntimeError):
    """The message could not be handed to the mail server."""


def is_configured() -> bool:
    return bool(current_app.config["MAIL_SERVER"] and current_app.config["MAIL_SENDER"])


def send(to: str, subject: str, body: str) -> None:
    config = current_app.config
    if not is_configured():
        raise MailError("email is not set up (MAIL_SERVER and MAIL_SENDER)")
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config["MAIL_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(str(error)) from error
