"""Demo handouts: the demo clients who came for teeth grinding, headaches or sinus trouble
get the handout of their last completed visit, printed or as a link as they prefer."""

from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from clinic.aftercare import handouts
from clinic.clients.models import Client, Delivery
from clinic.clients.services import current_intake
from clinic.extensions import db
from clinic.visits.models import Visit, VisitStatus

CONDITIONS = {"teeth_grinding", "headaches", "sinus"}
NOTES = {
    "teeth_grinding": "Try the jaw release before bed, and notice when you clench during the day.",
    "headaches": "A few minutes at the base of your skull when a headache starts can stop it "
                 "building.",
    "sinus": "Warm showers and plenty of water help the sinus points work.",
}


def seed_handouts(today: date) -> int:
    """One handout per matching client; returns how many were made."""
    # Templates expect a request (the layout's menu), even for a PDF made from the command line.
    with current_app.test_request_context():
        return _seed(today)


def _seed(today: date) -> int:
    clients = list(db.session.scalars(select(Client).order_by(Client.id)))
    made = 0
    for client in clients:
        intake = current_intake(client.id)
        ticked = [code for code in (intake.condition_codes if intake else []) if code in CONDITIONS]
        visit = db.session.scalars(
            select(Visit).where(Visit.client_id == client.id,
                                Visit.status == VisitStatus.COMPLETED.value)
            .options(joinedload(Visit.client), joinedload(Visit.therapist))
            .order_by(Visit.starts_at.desc()).limit(1)
        ).first()
        if not ticked or visit is None:
            continue
        built = handouts.builder(visit, visit.therapist, today)
        draft = built.initial_draft()
        draft.technique_ids = draft.technique_ids[:handouts.MAX_TECHNIQUES]
        draft.personal_note = NOTES[ticked[0]]
        handout = handouts.generate(built, draft, visit.therapist)
        if client.handout_delivery == Delivery.PRINT.value:
            handouts.record_print(handout, visit.therapist)
        else:
            handouts.create_link(handout, visit.therapist)
        made += 1
    return made
