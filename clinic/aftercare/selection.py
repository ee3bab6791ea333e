"""Which techniques a client's handout starts with, and which their precautions rule out.

`select_techniques(library, intake, today, plan)` pre-selects the techniques that help the
conditions ticked on the client's current intake and those the treatment note's Plan names,
and leaves out every technique that touches an area the client's precautions protect, each
with the reason in plain words. The periods a treated area is left alone come from
clinic.clients.precautions, so the treatment room and the handout follow one rule.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from clinic.aftercare.models import FACE_AREAS, Area, Technique
from clinic.clients.models import CONDITIONS, QUESTIONS, Intake, IntakeItem
from clinic.clients.precautions import TREATED_AREA_RULES
from clinic.formatting import long_date

# A condition that home massage does not treat: it only makes the client's touch gentler.
NOT_FOR_HOME_CARE = {
    "skin_condition": "a skin condition is for the client's doctor; massage works around it",
}

# How a client or a therapist names a part of the face in free text.
AREA_WORDS: dict[Area, str] = {
    Area.FOREHEAD: r"forehead|frown|glabell|between the (?:brows|eyes)",
    Area.BROWS: r"\b(?:eye)?brows?\b",
    Area.EYES: r"\beyes?\b|under[- ]?eyes?|tear[- ]?troughs?|crow'?s[- ]?feet|eyelids?",
    Area.NOSE: r"\bnose\b|\bnasal|nostril",
    Area.CHEEKS: r"cheek|nasolabial|smile lines?",
    Area.MOUTH: r"\blips?\b|mouth|marionette|perioral",
    Area.JAW: r"\bjaw|\bchin\b|masseter|jowl",
    Area.TEMPLES: r"\btemples?\b",
    Area.NECK: r"\bneck\b|platysma|d[eé]collet",
    Area.SKULL_BASE: r"back of (?:the )?head|base of (?:the )?skull|occipit|scalp",
}

# How a treatment note's Plan names what the client should do at home.
PLAN_WORDS: dict[str, str] = {
    "teeth_grinding": r"grind|clench|brux|masseter",
    "jaw_pain": r"\bjaw|\btmj|\btmd\b",
    "headaches": r"headache|migraine",
    "sinus": r"sinus|congest",
    "neck_tension": r"\bneck|suboccipital|skull",
    "puffiness": r"puff|swell|lymph|drainage",
    "fine_lines": r"fine lines?|wrinkle|lifting|firm",
}

# What the client should keep in mind whatever they do, printed on the handout.
HANDOUT_NOTES: dict[str, str] = {
    "blood_thinners": "Use light pressure only: your blood thinner makes bruising easier.",
    "allergy_nut_oils": "Use a nut-free oil or cream: no almond, argan, apricot kernel or "
                        "macadamia.",
    "allergy_fragrance": "Use fragrance-free products, with no essential oils.",
    "allergy_lotions": "Use only a product you know your skin tolerates, or none at all.",
    "skin_condition": "Keep off any skin that is inflamed, broken or irritated.",
}
RECENT_HEADACHES_NOTE = ("Your headaches began or changed recently: please have them "
                         "checked by your doctor.")


@dataclass(frozen=True)
class Pick:
    technique: Technique
    # Why it was chosen: the intake conditions it helps, or "the treatment plan".
    because: tuple[str, ...]


@dataclass(frozen=True)
class Exclusion:
    technique: Technique
    reason: str
    # The client's conditions or plan asked for it, but a precaution won.
    wanted: bool


@dataclass(frozen=True)
class Selection:
    chosen: list[Pick]
    excluded: list[Exclusion]
    # For the client, on the handout.
    notes: list[str]
    # For the therapist: what the rules could not decide on their own.
    warnings: list[str]

    @property
    def excluded_slugs(self) -> set[str]:
        return {exclusion.technique.slug for exclusion in self.excluded}


@dataclass(frozen=True)
class _Rule:
    areas: frozenset[Area]
    reason: str


def areas_named(text: str) -> frozenset[Area]:
    """The parts of the face and neck that free text names: "filler in the lips" -> mouth."""
    lowered = text.lower()
    return frozenset(area for area, words in AREA_WORDS.items() if re.search(words, lowered))


def _treated_area_rule(item: IntakeItem, today: date) -> _Rule | None:
    period, period_words, _ = TREATED_AREA_RULES[item.code]
    what = QUESTIONS[item.code].short_label
    if item.on_date is not None and today >= item.on_date + period:
        return None
    areas = areas_named(item.detail) & (FACE_AREAS | {Area.NECK})
    where = ("the treated area" if areas else
             "the face, because the treated area is not recorded")
    if item.on_date is None:
        return _Rule(areas or FACE_AREAS,
                     f"{what}, date not recorded: nothing on {where} for {period_words} "
                     "afterwards. Ask the client when it was done.")
    until = long_date(item.on_date + period)
    return _Rule(areas or FACE_AREAS,
                 f"{what} on {long_date(item.on_date)}: nothing on {where} until {until}.")


def _rules(intake: Intake, today: date) -> tuple[list[_Rule], list[str]]:
    rules: list[_Rule] = []
    warnings: list[str] = []
    if intake.item("skin_infection"):
        rules.append(_Rule(FACE_AREAS, "Skin infection or cold sore right now: facial "
                                       "massage can spread it."))
    for item in intake.items:
        if item.code in TREATED_AREA_RULES and (rule := _treated_area_rule(item, today)):
            rules.append(rule)
    avoid = intake.areas_to_avoid.strip()
    if avoid:
        areas = areas_named(avoid)
        if areas:
            rules.append(_Rule(areas, f"The client asked that these areas not be touched: "
                                      f"“{avoid}”."))
        else:
            warnings.append(f"The client asked that these areas not be touched: “{avoid}”. "
                            "Check that no chosen technique works there.")
    return rules, warnings


def _wanted(library: Sequence[Technique], intake: Intake | None,
            plan: str) -> dict[str, list[str]]:
    """Technique slug -> why it is wanted, in the order of the intake's checklist, then the plan."""
    wanted: dict[str, list[str]] = {}
    ticked = intake.condition_codes if intake else []
    for code in (question.code for question in CONDITIONS):
        if code in ticked:
            for technique in library:
                if code in technique.conditions:
                    wanted.setdefault(technique.slug, []).append(QUESTIONS[code].short_label)
    plan_text = plan.lower()
    planned = {code for code, words in PLAN_WORDS.items() if re.search(words, plan_text)}
    for technique in library:
        named = technique.title.lower() in plan_text
        if named or planned & set(technique.conditions):
            reasons = wanted.setdefault(technique.slug, [])
            if "the treatment plan" not in reasons:
                reasons.append("the treatment plan")
    return wanted


def _notes(intake: Intake | None) -> list[str]:
    if intake is None:
        return []
    notes = [note for code, note in HANDOUT_NOTES.items() if intake.item(code)]
    if intake.headache_recent:
        notes.append(RECENT_HEADACHES_NOTE)
    return notes


def select_techniques(library: Iterable[Technique], intake: Intake | None, today: date,
                      plan: str = "") -> Selection:
    """Pre-selected and ruled-out techniques for a client; retired techniques are ignored."""
    active = [technique for technique in library if not technique.retired]
    rules, warnings = _rules(intake, today) if intake else ([], [])
    wanted = _wanted(active, intake, plan)
    excluded: dict[str, Exclusion] = {}
    for technique in active:
        rule = next((rule for rule in rules if rule.areas & technique.area_set), None)
        if rule:
            excluded[technique.slug] = Exclusion(technique, rule.reason, technique.slug in wanted)
    by_slug = {technique.slug: technique for technique in active}
    chosen = [Pick(by_slug[slug], tuple(because))
              for slug, because in wanted.items() if slug not in excluded]
    return Selection(chosen, list(excluded.values()), _notes(intake), warnings)
