"""Clients and intakes made through the services, returned as plain ids."""

import email
import socket
from datetime import date
from email import policy

import pytest
from aiosmtpd.controller import Controller

from clinic.clients import services
from clinic.clients.services import Answer, ClientDetails, IntakeAnswers


@pytest.fixture
def make_client(app):
    counter = iter(range(1, 10_000))

    def create(**fields) -> int:
        n = next(counter)
        values = {
            "first_name": "Robin",
            "last_name": f"Client{n}",
            "date_of_birth": date(1980, 1, n % 28 + 1),
            "email": f"client{n}@example.org",
            "phone": f"+1 902 555 {n:04d}",
            **fields,
        }
        with app.app_context():
            return services.create_client(ClientDetails(**values), duplicates_checked=True).id

    return create


@pytest.fixture
def make_intake(app, make_user):
    """Add an intake at the desk: `make_intake(client_id, blood_thinners="warfarin")`."""
    staff = None

    def create(client_id: int, *, on_dates: dict | None = None, **ticked) -> int:
        nonlocal staff
        staff = staff or make_user("therapist")
        on_dates = on_dates or {}
        options = {key: ticked.pop(key) for key in list(ticked) if key in SCALARS}
        with app.app_context():
            client = services.get_client(client_id)
            answers = IntakeAnswers(
                contact=services.contact_of(client),
                items={code: Answer(detail, on_dates.get(code)) for code, detail in ticked.items()},
                consent_version=services.current_consent()[0],
                agreed=True,
                signature=client.name,
                **options,
            )
            return services.submit_at_desk(client, answers, staff.id).version

    return create


SCALARS = {"reason", "goals", "headache_kind", "headache_frequency", "headache_recent",
           "pressure", "areas_to_avoid"}


@pytest.fixture
def make_link(app, make_user):
    """A self-service intake link for a client, as its token (what the client's URL holds)."""

    def create(client_id: int) -> str:
        staff = make_user("reception")
        with app.app_context():
            return services.create_link(services.get_client(client_id), staff.id)[1]

    return create


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback; `.inbox.messages` holds what it was sent."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.inbox = inbox
    yield controller
    controller.stop()
