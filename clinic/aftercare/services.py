"""The technique library: rules and database work."""

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from clinic.aftercare.library import STANDARD_TECHNIQUES
from clinic.aftercare.models import Area, Technique
from clinic.aftercare.selection import NOT_FOR_HOME_CARE
from clinic.audit import services as audit
from clinic.clients.models import CONDITIONS
from clinic.extensions import db
from clinic.records import apply_changes, check_version, commit_or_stale
from clinic.types import utcnow
from clinic.validation import ValidationError

ILLUSTRATIONS = Path("img") / "techniques"
MAX_STEPS = 12
MAX_LINE = 400
HOME_CARE_CONDITIONS = {q.code: q.short_label for q in CONDITIONS
                        if q.code not in NOT_FOR_HOME_CARE}


def illustrations() -> list[str]:
    """The drawings shipped in static/img/techniques/, by file name."""
    folder = Path(current_app.static_folder) / ILLUSTRATIONS
    return sorted(path.name for path in folder.glob("*.svg"))


def illustration_path(technique: Technique) -> str:
    """The drawing's path under static/, for url_for('static', ...) and the PDF fetcher."""
    return (ILLUSTRATIONS / technique.illustration).as_posix()


def slugify(title: str) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:76]


def library(include_retired: bool = False) -> list[Technique]:
    query = select(Technique).order_by(Technique.title)
    if not include_retired:
        query = query.where(Technique.retired_at.is_(None))
    return list(db.session.scalars(query))


def get_technique(technique_id: int) -> Technique:
    return db.get_or_404(Technique, technique_id)


@dataclass
class TechniqueDetails:
    title: str = ""
    purpose: str = ""
    # One step or caution per line, as an admin types them.
    steps: str = ""
    duration: str = ""
    frequency: str = ""
    cautions: str = ""
    conditions: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    illustration: str = ""
    illustration_alt: str = ""


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _check(details: TechniqueDetails, technique: Technique | None = None) -> dict:
    """The technique's columns from what the admin typed, or every problem with it at once."""
    errors: dict[str, str] = {}
    title = " ".join(details.title.split())
    if not slugify(title):
        errors["title"] = "Enter a title, e.g. “Jaw release for clenching”."
    elif len(title) > 120:
        errors["title"] = "Keep the title to 120 characters."
    else:
        taken = db.session.scalar(
            select(Technique.id).where(func.lower(Technique.title) == title.lower()))
        if taken is not None and (technique is None or taken != technique.id):
            errors["title"] = "Another technique has this title. Choose a different one."
    values = {"title": title, "purpose": details.purpose.strip(),
              "duration": details.duration.strip(), "frequency": details.frequency.strip()}
    for name, message in (("purpose", "Say in a sentence what it helps with."),
                          ("duration", "Say how long it takes, e.g. “2 to 3 minutes”."),
                          ("frequency", "Say how often, e.g. “Once or twice a day”.")):
        if not values[name]:
            errors[name] = message
    steps, cautions = _lines(details.steps), _lines(details.cautions)
    if not steps:
        errors["steps"] = "Write at least one step, one per line."
    elif len(steps) > MAX_STEPS:
        errors["steps"] = f"Keep it to {MAX_STEPS} steps: a handout has one or two pages."
    if any(len(line) > MAX_LINE for line in steps + cautions):
        errors.setdefault("steps" if any(len(s) > MAX_LINE for s in steps) else "cautions",
                          f"Keep each line under {MAX_LINE} characters.")
    if set(details.conditions) - HOME_CARE_CONDITIONS.keys():
        errors["conditions"] = "Choose from the intake's conditions."
    known_areas = {area.value for area in Area}
    if not details.areas:
        errors["areas"] = "Tick where it touches: precautions use this to leave it out."
    elif set(details.areas) - known_areas:
        errors["areas"] = "Choose from the listed areas."
    illustration = details.illustration.strip()
    alt = " ".join(details.illustration_alt.split())
    if illustration and illustration not in illustrations():
        errors["illustration"] = "Choose one of the drawings in the list."
    if illustration and not alt:
        errors["illustration_alt"] = ("Describe the drawing for clients who cannot see it: "
                                      "where to press and which way to stroke.")
    if errors:
        raise ValidationError(errors)
    return {
        **values, "steps": steps, "cautions": cautions,
        # Stored in the intake's and the face's own order, whatever order the form sent.
        "conditions": [code for code in HOME_CARE_CONDITIONS if code in details.conditions],
        "areas": [area.value for area in Area if area.value in details.areas],
        "illustration": illustration, "illustration_alt": alt if illustration else "",
    }


def _free_slug(title: str) -> str:
    """A new technique's lasting name; titles may change, the slug never does."""
    base = slugify(title)
    taken = set(db.session.scalars(select(Technique.slug).where(Technique.slug.like(f"{base}%"))))
    return next(candidate for n in range(1, len(taken) + 2)
                if (candidate := base if n == 1 else f"{base}-{n}") not in taken)


def create_technique(details: TechniqueDetails) -> Technique:
    values = _check(details)
    technique = Technique(slug=_free_slug(values["title"]), **values)
    db.session.add(technique)
    db.session.flush()
    audit.record("technique.created", "technique", technique.id)
    db.session.commit()
    return technique


def update_technique(technique: Technique, details: TechniqueDetails,
                     seen_version: int | None) -> None:
    values = _check(details, technique)
    check_version(technique, seen_version, "technique")
    changed = apply_changes(technique, values)
    if not changed:
        return
    audit.record("technique.updated", "technique", technique.id, detail={"changed": changed})
    commit_or_stale("technique")


def set_retired(technique: Technique, retired: bool) -> None:
    if technique.retired == retired:
        return
    technique.retired_at = utcnow() if retired else None
    audit.record("technique.retired" if retired else "technique.restored", "technique",
                 technique.id)
    db.session.commit()


def missing_standard_techniques() -> list[str]:
    """Titles of the standard techniques this clinic does not have (retired ones count)."""
    present = set(db.session.scalars(select(Technique.slug)))
    return [standard.title for standard in STANDARD_TECHNIQUES if standard.slug not in present]


def install_standard_techniques() -> int:
    """Add the standard techniques the library lacks; edited or retired ones stay as they are."""
    present = set(db.session.scalars(select(Technique.slug)))
    added = [standard.as_model() for standard in STANDARD_TECHNIQUES
             if standard.slug not in present]
    db.session.add_all(added)
    db.session.flush()
    for technique in added:
        audit.record("technique.created", "technique", technique.id,
                     detail={"standard": technique.slug})
    db.session.commit()
    return len(added)
