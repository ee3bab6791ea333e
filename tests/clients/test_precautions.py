"""The precaution rules: what the therapist is warned about, at which level, and why."""

from datetime import date, timedelta

import pytest

from clinic.clients.models import Intake, IntakeItem
from clinic.clients.precautions import Level, precautions

TODAY = date(2026, 11, 25)


def intake(items: dict | None = None, **fields) -> Intake:
    """An intake in memory: `{"code": "detail"}` or `{"code": ("detail", date)}`."""
    rows = []
    for code, answer in (items or {}).items():
        detail, on_date = answer if isinstance(answer, tuple) else (answer, None)
        rows.append(IntakeItem(code=code, detail=detail, on_date=on_date))
    values = {"headache_kind": "", "headache_recent": False, "areas_to_avoid": "", **fields}
    return Intake(items=rows, **values)


def only(found):
    assert len(found) == 1, found
    return found[0]


def test_no_intake_and_an_empty_intake_have_no_precautions():
    assert precautions(None, TODAY) == []
    assert precautions(intake(), TODAY) == []


def test_a_skin_infection_or_cold_sore_stops_facial_work_today():
    found = only(precautions(intake({"skin_infection": "cold sore, upper lip"}), TODAY))
    assert found.level == Level.DO_NOT_TREAT
    assert "No facial work today" in found.reason
    assert found.detail == "cold sore, upper lip"


def test_blood_thinners_mean_light_pressure_only():
    found = only(precautions(intake({"blood_thinners": "warfarin"}), TODAY))
    assert found.level == Level.ADAPT
    assert found.subject == "Blood thinners"
    assert "Light pressure only" in found.reason


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("allergy_nut_oils", "nut-free oil"),
        ("allergy_fragrance", "Fragrance-free"),
        ("allergy_lotions", "lotion"),
        ("allergy_latex", "latex"),
        ("pregnancy", "side-lying"),
        ("recent_illness", "fever"),
        ("skin_condition", "inflamed or broken skin"),
    ],
)
def test_allergies_pregnancy_illness_and_skin_change_the_technique(code, words):
    found = only(precautions(intake({code: ""}), TODAY))
    assert found.level == Level.ADAPT
    assert words in found.reason


@pytest.mark.parametrize("code", ["allergy_other", "medications", "jaw_pain"])
def test_other_allergies_medications_and_jaw_pain_are_notes(code):
    assert only(precautions(intake({code: "something"}), TODAY)).level == Level.NOTE


@pytest.mark.parametrize(
    ("days_ago", "level", "words"),
    [
        (3, Level.ADAPT, "until 6 December 2026"),
        (13, Level.ADAPT, "until 26 November 2026"),
        (14, Level.NOTE, "more than two weeks ago"),
        (200, Level.NOTE, "more than two weeks ago"),
    ],
)
def test_recent_injections_keep_pressure_off_the_treated_area_for_two_weeks(
    days_ago, level, words
):
    done = TODAY - timedelta(days=days_ago)
    found = only(precautions(intake({"injections": ("lips, filler", done)}), TODAY))
    assert found.level == level
    assert words in found.reason
    assert found.detail == "lips, filler"


def test_an_injection_without_a_date_asks_when_and_where():
    found = only(precautions(intake({"injections": "forehead"}), TODAY))
    assert found.level == Level.ADAPT
    assert found.reason.startswith("Ask when and where")


def test_a_peel_and_facial_surgery_have_their_own_healing_times():
    peel = only(precautions(intake({"peel_laser": ("", TODAY - timedelta(days=10))}), TODAY))
    assert peel.level == Level.ADAPT and "still healing" in peel.reason
    surgery_date = TODAY - timedelta(days=60)
    surgery = only(precautions(intake({"facial_surgery": ("", surgery_date)}), TODAY))
    assert surgery.level == Level.ADAPT and "surgeon's clearance" in surgery.reason
    old = only(precautions(intake({"facial_surgery": ("", TODAY - timedelta(days=91))}), TODAY))
    assert old.level == Level.NOTE


def test_a_migraine_that_began_lately_means_asking_before_treating():
    found = only(precautions(
        intake({"headaches": ""}, headache_kind="migraine", headache_recent=True), TODAY
    ))
    assert found.level == Level.ADAPT
    assert found.reason.startswith("Ask before treating")


def test_long_standing_migraines_are_a_note_and_tension_headaches_no_precaution():
    migraine = only(precautions(intake({"headaches": ""}, headache_kind="migraine"), TODAY))
    assert migraine.level == Level.NOTE
    assert precautions(intake({"headaches": ""}, headache_kind="tension"), TODAY) == []


def test_areas_to_avoid_are_passed_on_in_the_clients_words():
    found = only(precautions(intake(areas_to_avoid="  front of the neck "), TODAY))
    assert found.level == Level.ADAPT
    assert found.detail == "front of the neck"


def test_conditions_massage_helps_with_are_not_precautions():
    codes = ["teeth_grinding", "sinus", "neck_tension", "puffiness", "fine_lines"]
    assert precautions(intake(dict.fromkeys(codes, "")), TODAY) == []


def test_the_most_serious_precautions_come_first():
    found = precautions(
        intake({"medications": "statin", "blood_thinners": "", "skin_infection": ""}), TODAY
    )
    assert [p.level for p in found] == [Level.DO_NOT_TREAT, Level.ADAPT, Level.NOTE]
