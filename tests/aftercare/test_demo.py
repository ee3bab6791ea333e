"""The demo clinic has handouts to look at: for teeth grinding, headaches and sinus trouble."""

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from clinic import demo
from clinic.aftercare.models import Handout
from clinic.extensions import db


def test_the_demo_has_handouts_for_grinding_headaches_and_sinus(app):
    with app.app_context():
        assert demo.seed()
        handouts = list(db.session.scalars(
            select(Handout).options(joinedload(Handout.client)).order_by(Handout.id)))
        assert {handout.client.first_name for handout in handouts} == {"Elena", "Tom"}
        slugs = {t["slug"] for handout in handouts for t in handout.techniques}
        assert {"jaw-release", "sinus-pressure", "skull-base-release"} <= slugs
        for handout in handouts:
            assert handout.pdf_sha256 == hashlib.sha256(handout.pdf).hexdigest()
            assert handout.personal_note and handout.delivered
        # Tom likes paper; Elena gets a link.
        assert {h.client.first_name: h.deliveries[0].method for h in handouts} == {
            "Elena": "link", "Tom": "print"}
