"""A client with something of every kind on record: two intake versions, a visit with a signed
note and an addendum, a handout, an issued invoice with a payment. Every piece of text carries
the client's own word, so a test can tell whose record a string came from."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from clinic.aftercare import handouts
from clinic.auth.models import User
from clinic.extensions import db
from clinic.visits import services as visit_services
from clinic.visits.models import Visit
from tests.aftercare.conftest import standard_library  # noqa: F401 (fixture)
from tests.clients.conftest import make_client, make_intake  # noqa: F401 (fixtures)
from tests.invoices.conftest import line, make_invoice  # noqa: F401 (fixture)
from tests.visits.conftest import make_visit  # noqa: F401 (fixture)


@dataclass(frozen=True)
class Record:
    client_id: int
    visit_id: int
    invoice_number: str
    therapist: object
    word: str


def sign_note_with_addendum(app, visit_id: int, therapist, word: str) -> None:
    with app.app_context():
        actor = db.session.get(User, therapist.id)
        visit = db.session.get(Visit, visit_id)
        visit_services.change_status(visit, "arrived", "", actor, visit.version)
        visit_services.sign(visit, actor, {
            "subjective": f"{word} clenching reported.", "objective": f"{word} masseter tight.",
            "assessment": f"{word} release, moderate pressure.", "plan": "Jaw release at home.",
        }, None)
        visit_services.add_addendum(visit, actor, f"{word} correction",
                                    f"{word} left side, not right.")


def give_handout(app, visit_id: int, therapist, word: str) -> None:
    with app.app_context():
        actor = db.session.get(User, therapist.id)
        built = handouts.builder(db.session.get(Visit, visit_id), actor, date.today())
        draft = handouts.Draft(built.initial_draft().technique_ids, f"{word} twice a day.")
        handouts.record_print(handouts.generate(built, draft, actor), actor)


@pytest.fixture
def full_record(app, make_user, make_client, make_intake, make_visit,  # noqa: F811
                make_invoice, standard_library):  # noqa: F811
    def create(first_name: str, last_name: str, word: str, *, therapist=None,
               day: date | None = None) -> Record:
        therapist = therapist or make_user("therapist", name=f"{word} Therapist")
        client_id = make_client(first_name=first_name, last_name=last_name,
                                email=f"{word.lower()}@example.org", address=f"{word} Lane 1")
        make_intake(client_id, teeth_grinding=f"{word} at night", reason=f"{word} jaw")
        make_intake(client_id, teeth_grinding=f"{word} worse", headaches=f"{word} temples")
        day = day or date.today() - timedelta(days=1)
        visit_id = make_visit(therapist, client_id=client_id, day=day, service=f"{word} facial")
        sign_note_with_addendum(app, visit_id, therapist, word)
        give_handout(app, visit_id, therapist, word)
        invoice = make_invoice(client_id=client_id, therapist=therapist, issued_on=day,
                               lines=[line(f"{word} facial massage", price="95.50")],
                               payments=["50.00"])
        return Record(client_id, visit_id, invoice.number, therapist, word)

    return create
