"""What the therapist must know before treating: every precaution rule, in one place.

`precautions(intake, today)` reads an intake's answers and returns the precautions, most
serious first, each with a level and a reason in plain language.
"""

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from clinic.clients.models import QUESTIONS, Intake, IntakeItem


class Level(StrEnum):
    DO_NOT_TREAT = "do-not-treat"
    ADAPT = "adapt"
    NOTE = "note"

    @property
    def label(self) -> str:
        return {"do-not-treat": "Do not treat today", "adapt": "Adapt technique",
                "note": "Note"}[self.value]

    @property
    def rank(self) -> int:
        return RANKS[self]


# Most serious first: the order the levels are declared in.
RANKS = {level: rank for rank, level in enumerate(Level)}


class Precaution(NamedTuple):
    """A tuple, as a list of visits flags every one of them from these."""

    level: Level
    subject: str
    reason: str
    # The client's own words, when they gave any.
    detail: str = ""


class ItemAnswer(NamedTuple):
    """A ticked box as plain values, read like an IntakeItem."""

    code: str
    detail: str
    on_date: date | None


class IntakeAnswers(NamedTuple):
    """What the rules below read from an intake, as plain values, read like an Intake.

    Lists of a hundred visits flag each client's precautions from these rather than from
    intake records, which cost more to build than the rest of the list (tuples, as they cost
    half what a frozen dataclass does).
    """

    submitted_at: datetime
    headache_kind: str
    headache_recent: bool
    areas_to_avoid: str
    items: list[ItemAnswer]


# Answers whose precaution does not depend on dates or other answers.
FIXED_RULES: dict[str, tuple[Level, str]] = {
    "skin_infection": (
        Level.DO_NOT_TREAT,
        "No facial work today: massage can spread an infection or cold sore. "
        "Work away from the area only.",
    ),
    "blood_thinners": (Level.ADAPT, "Light pressure only: blood thinners make bruising easy."),
    "allergy_nut_oils": (
        Level.ADAPT,
        "Choose a nut-free oil or lotion: no almond, argan, apricot kernel or macadamia.",
    ),
    "allergy_fragrance": (Level.ADAPT, "Fragrance-free products only; no essential oils."),
    "allergy_lotions": (
        Level.ADAPT, "Ask before putting any lotion or cream on the skin; check its ingredients."
    ),
    "allergy_latex": (Level.ADAPT, "Nitrile gloves only; nothing made of latex."),
    "pregnancy": (
        Level.ADAPT,
        "Position side-lying or semi-reclined with support, not flat on the back.",
    ),
    "recent_illness": (
        Level.ADAPT, "Ask how they feel today; postpone if they still have a fever."
    ),
    "skin_condition": (
        Level.ADAPT,
        "Gentle strokes; keep off inflamed or broken skin and ask before using any product.",
    ),
    "allergy_other": (Level.NOTE, "Check the products you use against this allergy."),
    "medications": (
        Level.NOTE, "Ask whether any of these affect the skin, bruising or circulation."
    ),
    "jaw_pain": (Level.NOTE, "Work within comfort around the jaw joint; never into pain."),
}

# Treatments to the face after which the treated area is left alone for a while.
TREATED_AREA_RULES: dict[str, tuple[timedelta, str, str]] = {
    "injections": (
        timedelta(days=14), "two weeks",
        "No pressure or massage on the treated area until {until}: fillers and Botox can move.",
    ),
    "peel_laser": (
        timedelta(days=14), "two weeks",
        "No facial work on the treated skin until {until}: it is still healing.",
    ),
    "facial_surgery": (
        timedelta(days=90), "three months",
        "No facial work near the operated area before {until} without the surgeon's clearance.",
    ),
}


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _treated_area(item: IntakeItem | ItemAnswer, today: date) -> Precaution:
    period, period_words, reason = TREATED_AREA_RULES[item.code]
    subject = QUESTIONS[item.code].short_label
    if item.on_date is None:
        reason = (f"Ask when and where it was done: leave the treated area alone for "
                  f"{period_words} afterwards.")
        return Precaution(Level.ADAPT, subject, reason, item.detail)
    until = item.on_date + period
    if today < until:
        return Precaution(Level.ADAPT, subject, reason.format(until=_long_date(until)),
                          item.detail)
    reason = f"Done on {_long_date(item.on_date)}, more than {period_words} ago."
    return Precaution(Level.NOTE, subject, reason, item.detail)


def _headaches(intake: Intake | IntakeAnswers,
               item: IntakeItem | ItemAnswer) -> Precaution | None:
    migraine = intake.headache_kind in {"migraine", "both"}
    if intake.headache_recent:
        kind = "Migraines" if migraine else "Headaches"
        return Precaution(
            Level.ADAPT, "New or changed headaches",
            f"Ask before treating: {kind.lower()} that began or changed in the last three "
            "months should be checked by a doctor first.",
            item.detail,
        )
    if migraine:
        return Precaution(
            Level.NOTE, "Migraines",
            "Low light and no strong scents; stop if a migraine starts.", item.detail,
        )
    return None


def precautions(intake: Intake | IntakeAnswers | None, today: date) -> list[Precaution]:
    """The precautions for treating this client today, most serious first."""
    if intake is None:
        return []
    found: list[Precaution] = []
    for item in intake.items:
        if item.code in FIXED_RULES:
            level, reason = FIXED_RULES[item.code]
            found.append(Precaution(level, QUESTIONS[item.code].short_label, reason, item.detail))
        elif item.code in TREATED_AREA_RULES:
            found.append(_treated_area(item, today))
        elif item.code == "headaches" and (headache := _headaches(intake, item)):
            found.append(headache)
    if intake.areas_to_avoid.strip():
        found.append(Precaution(
            Level.ADAPT, "Areas to avoid", "The client asked that these areas not be touched.",
            intake.areas_to_avoid.strip(),
        ))
    # A stable sort: within a level, the order of the form's checklist.
    return sorted(found, key=lambda precaution: precaution.level.rank)
