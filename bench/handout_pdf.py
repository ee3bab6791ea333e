"""How long one aftercare handout PDF takes, next to WeasyPrint's own floor, in the same run.

    .venv/bin/python bench/handout_pdf.py [--runs 30]

The handout goes through the app's whole pipeline (plain-dict context, Jinja, the shared
print stylesheet, the static-only fetcher, three SVG drawings, tagged PDF/UA) with the three
longest standard techniques, a personal note and the precaution notes: a full two pages.
The clinic has a logo, as in the invoice benchmark. Nothing touches a database.
"""

import argparse
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import timing
from bench.invoice_pdf import settings_with_logo
from clinic import create_app
from clinic.aftercare import documents
from clinic.aftercare.library import STANDARD_TECHNIQUES
from clinic.aftercare.selection import HANDOUT_NOTES

LONGEST = ("sinus-pressure", "jaw-release", "puffiness-drainage")
HANDOUT = "handout PDF (pipeline)"


def _handout_pdf():
    """The render to time: a full two-page handout through the whole pipeline (in a request)."""
    settings = settings_with_logo()
    by_slug = {standard.slug: standard for standard in STANDARD_TECHNIQUES}
    doc = documents.handout_document(
        settings, first_name="Jane", therapist_name="Maya Okafor", visit_day=date(2026, 3, 2),
        techniques=[documents.technique_snapshot(by_slug[slug].as_model()) for slug in LONGEST],
        advice=list(HANDOUT_NOTES.values())[:2],
        personal_note="Little and often: a few minutes each evening helps more than an hour "
                      "once a week.",
        next_appointment="Monday 16 March 2026 at 10:00, with Maya Okafor",
    )

    def handout_pdf() -> bytes:
        return documents.handout_pdf(doc, settings)

    return handout_pdf


def measure(runs: int) -> dict[str, timing.Runs]:
    """The floor's runs and the handout's, taken in turns."""
    app = create_app({"SECRET_KEY": "bench-" * 8, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        return timing.against_floor(HANDOUT, _handout_pdf(), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    app = create_app({"SECRET_KEY": "bench-" * 8, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        timing.compare(HANDOUT, _handout_pdf(), runs)


if __name__ == "__main__":
    main()
