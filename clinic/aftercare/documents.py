"""The handout as a document: a plain-dict context, shown on screen as a preview and printed
to PDF through the one pipeline. No ORM object reaches the template."""

from datetime import date

from flask import url_for

from clinic.admin.models import ClinicSettings
from clinic.aftercare.library import GENERAL_CAUTIONS
from clinic.aftercare.models import Technique
from clinic.aftercare.services import ILLUSTRATIONS
from clinic.pdf import render
from clinic.pdf.documents import clinic_letterhead, logo_image

# Screen readers read the handout as a tagged PDF (PDF/UA): headings, lists, figures with
# their text alternatives, the language and the title.
PDF_VARIANT = "pdf/ua-1"


def technique_snapshot(technique: Technique) -> dict:
    """Everything printed about a technique, copied: the handout keeps it if the library changes."""
    return {
        "id": technique.id,
        "slug": technique.slug,
        "title": technique.title,
        "purpose": technique.purpose,
        "steps": list(technique.steps),
        "duration": technique.duration,
        "frequency": technique.frequency,
        "cautions": list(technique.cautions),
        "illustration": technique.illustration,
        "illustration_alt": technique.illustration_alt,
    }


def handout_document(settings: ClinicSettings, *, first_name: str, therapist_name: str,
                     visit_day: date, techniques: list[dict], advice: list[str],
                     personal_note: str, next_appointment: str | None,
                     on_screen: bool = False) -> dict:
    """The handout as printed, or as previewed on a page (`on_screen`: app URLs for pictures)."""
    letterhead = clinic_letterhead(settings)
    # The PDF fetcher serves static/ and the images handed to it, relative to its base URL.
    static_prefix = url_for("static", filename="") if on_screen else "static/"
    logo_src = url_for("home.logo") if on_screen else "image/logo"
    return {
        "clinic": letterhead,
        "logo_src": logo_src if letterhead["has_logo"] else None,
        "first_name": first_name,
        "therapist_name": therapist_name,
        "therapist_first_name": therapist_name.split(" ")[0] if therapist_name else "",
        "visit_day": visit_day,
        "techniques": [
            {**technique,
             "picture": (f"{static_prefix}{(ILLUSTRATIONS / technique['illustration']).as_posix()}"
                         if technique["illustration"] else None)}
            for technique in techniques
        ],
        "advice": list(advice),
        "general_cautions": list(GENERAL_CAUTIONS),
        "personal_note": personal_note,
        "next_appointment": next_appointment,
    }


def title(doc: dict) -> str:
    return f"Home care for {doc['first_name']} · {doc['clinic']['name']}"


def handout_pdf(doc: dict, settings: ClinicSettings) -> bytes:
    return render.render(
        "pdf/handout.html", {"doc": doc, "title": title(doc)},
        page_size=settings.page_size, images=logo_image(settings), pdf_variant=PDF_VARIANT,
    )


def pdf_file_name(handout_id: int, visit_day: date) -> str:
    """Made from the date and the number alone: no name a client typed goes in a header."""
    return f"home-care-{visit_day.isoformat()}-{handout_id}.pdf"
