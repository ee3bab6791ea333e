"""Which techniques a handout starts with, and which a client's precautions rule out."""

from datetime import date, timedelta

import pytest

from clinic.aftercare.library import STANDARD_TECHNIQUES
from clinic.aftercare.models import FACE_AREAS, Area
from clinic.aftercare.selection import (
    NOT_FOR_HOME_CARE,
    PLAN_WORDS,
    areas_named,
    select_techniques,
)
from clinic.clients.models import CONDITIONS, Intake, IntakeItem
from clinic.clients.precautions import FIXED_RULES, TREATED_AREA_RULES
from clinic.types import utcnow

TODAY = date(2026, 3, 10)


def library():
    return [standard.as_model() for standard in STANDARD_TECHNIQUES]


def intake(*codes: str, areas_to_avoid: str = "", headache_recent: bool = False,
           **dated: tuple[str, date | None]) -> Intake:
    """An unsaved intake: codes ticked with no detail, `code=(detail, on_date)` for the rest."""
    items = [IntakeItem(code=code, detail="", on_date=None) for code in codes]
    items += [IntakeItem(code=code, detail=detail, on_date=on_date)
              for code, (detail, on_date) in dated.items()]
    return Intake(items=items, areas_to_avoid=areas_to_avoid, headache_recent=headache_recent,
                  submitted_at=utcnow())


def chosen(selection) -> list[str]:
    return [pick.technique.slug for pick in selection.chosen]


def excluded(selection) -> dict[str, str]:
    return {exclusion.technique.slug: exclusion.reason for exclusion in selection.excluded}


HOME_CARE_CONDITIONS = [q.code for q in CONDITIONS if q.code not in NOT_FOR_HOME_CARE]


def test_only_skin_conditions_are_left_to_the_client_s_doctor():
    assert set(NOT_FOR_HOME_CARE) == {"skin_condition"}


@pytest.mark.parametrize("code", HOME_CARE_CONDITIONS)
def test_every_condition_on_the_intake_preselects_a_technique(code):
    selection = select_techniques(library(), intake(code), TODAY)
    assert selection.chosen, f"no technique helps {code}"
    label = next(q.short_label for q in CONDITIONS if q.code == code)
    assert all(label in pick.because for pick in selection.chosen)


def test_the_seed_techniques_are_preselected_for_the_seed_conditions():
    assert chosen(select_techniques(library(), intake("teeth_grinding"), TODAY)) == [
        "jaw-release"]
    assert set(chosen(select_techniques(library(), intake("headaches"), TODAY))) == {
        "sinus-pressure", "skull-base-release"}
    assert set(chosen(select_techniques(library(), intake("fine_lines"), TODAY))) == {
        "neck-jawline-lift", "smoothing-strokes"}
    assert "sinus-pressure" in chosen(select_techniques(library(), intake("sinus"), TODAY))


def test_a_technique_helping_two_conditions_is_chosen_once_with_both_reasons():
    selection = select_techniques(library(), intake("teeth_grinding", "jaw_pain"), TODAY)
    assert chosen(selection) == ["jaw-release"]
    assert selection.chosen[0].because == ("Teeth grinding or clenching", "Jaw pain or clicking")


def test_choices_follow_the_order_of_the_intake_checklist():
    selection = select_techniques(library(), intake("fine_lines", "teeth_grinding"), TODAY)
    assert chosen(selection)[0] == "jaw-release"


def test_no_intake_and_no_plan_preselects_nothing_and_rules_nothing_out():
    selection = select_techniques(library(), None, TODAY)
    assert selection.chosen == [] and selection.excluded == [] and selection.notes == []


@pytest.mark.parametrize("code", sorted(PLAN_WORDS))
def test_the_plan_preselects_what_it_names(code):
    plan = {"teeth_grinding": "Home care: masseter work before bed.",
            "jaw_pain": "Self-care for the TMJ.", "headaches": "Headache points daily.",
            "sinus": "Sinus massage twice a day.", "neck_tension": "Suboccipital release.",
            "puffiness": "Morning lymphatic drainage.", "fine_lines": "Lifting strokes."}[code]
    selection = select_techniques(library(), intake(), TODAY, plan=plan)
    assert selection.chosen
    assert all(code in pick.technique.conditions for pick in selection.chosen)
    assert all(pick.because == ("the treatment plan",) for pick in selection.chosen)


def test_the_plan_can_name_a_technique_by_its_title():
    plan = "Show the Release at the base of the skull again next time."
    assert chosen(select_techniques(library(), None, TODAY, plan=plan)) == [
        "skull-base-release"]


def test_a_plan_adds_to_the_intake_and_says_so():
    selection = select_techniques(library(), intake("teeth_grinding"), TODAY,
                                  plan="Jaw work and sinus massage at home.")
    picks = {pick.technique.slug: pick.because for pick in selection.chosen}
    assert picks["jaw-release"] == ("Teeth grinding or clenching", "the treatment plan")
    assert picks["sinus-pressure"] == ("the treatment plan",)


def test_retired_techniques_are_never_offered():
    techniques = library()
    jaw = next(t for t in techniques if t.slug == "jaw-release")
    jaw.retired_at = utcnow()
    selection = select_techniques(techniques, intake("teeth_grinding"), TODAY)
    assert selection.chosen == [] and selection.excluded == []


# ---- precautions that rule techniques out ----

def test_a_skin_infection_rules_out_every_facial_technique_but_not_the_neck():
    selection = select_techniques(
        library(), intake("skin_infection", "headaches", "neck_tension", "fine_lines"), TODAY)
    assert chosen(selection) == ["skull-base-release"]
    facial = {s.slug for s in STANDARD_TECHNIQUES if set(s.areas) & FACE_AREAS}
    assert set(excluded(selection)) == facial
    assert all("cold sore" in reason for reason in excluded(selection).values())
    assert {e.technique.slug for e in selection.excluded if e.wanted} == {
        "sinus-pressure", "neck-jawline-lift", "smoothing-strokes"}


@pytest.mark.parametrize("code", sorted(TREATED_AREA_RULES))
def test_a_recent_treatment_rules_out_techniques_over_the_treated_area(code):
    selection = select_techniques(
        library(), intake("fine_lines", **{code: ("Forehead", TODAY - timedelta(days=3))}),
        TODAY)
    assert "smoothing-strokes" in excluded(selection)
    assert "13 March 2026" not in excluded(selection)["smoothing-strokes"]
    assert "on the treated area until" in excluded(selection)["smoothing-strokes"]
    # The neck and jawline are not the forehead.
    assert chosen(selection) == ["neck-jawline-lift"]


def test_fillers_are_left_alone_for_two_weeks_to_the_day():
    done = TODAY - timedelta(days=13)
    selection = select_techniques(
        library(), intake("fine_lines", injections=("Botox, forehead", done)), TODAY)
    assert excluded(selection)["smoothing-strokes"] == (
        "Injections, fillers or Botox on 25 February 2026: nothing on the treated area "
        "until 11 March 2026.")
    later = select_techniques(
        library(), intake("fine_lines", injections=("Botox, forehead", done)),
        TODAY + timedelta(days=1))
    assert "smoothing-strokes" in chosen(later)
    assert later.excluded == []


def test_botox_in_the_masseter_rules_out_the_jaw_release():
    selection = select_techniques(
        library(), intake("teeth_grinding", "headaches",
                          injections=("Botox in the masseters for grinding", TODAY)), TODAY)
    assert "jaw-release" in excluded(selection)
    assert excluded(selection)["jaw-release"].startswith("Injections, fillers or Botox")
    assert "skull-base-release" in chosen(selection)


def test_facial_surgery_keeps_the_area_clear_for_three_months():
    selection = select_techniques(
        library(), intake("puffiness", facial_surgery=("Eyelid surgery",
                                                        TODAY - timedelta(days=60))), TODAY)
    assert "puffiness-drainage" in excluded(selection)
    assert "sinus-pressure" in excluded(selection)
    assert "neck-jawline-lift" not in excluded(selection)


def test_a_treatment_without_a_recorded_area_rules_out_the_whole_face():
    selection = select_techniques(
        library(), intake("fine_lines", "neck_tension", peel_laser=("", TODAY)), TODAY)
    facial = {s.slug for s in STANDARD_TECHNIQUES if set(s.areas) & FACE_AREAS}
    assert set(excluded(selection)) == facial
    assert "the treated area is not recorded" in excluded(selection)["smoothing-strokes"]
    assert chosen(selection) == ["skull-base-release"]


def test_a_treatment_without_a_date_is_treated_as_recent_and_the_therapist_asked_to_check():
    selection = select_techniques(
        library(), intake("fine_lines", injections=("lips", None)), TODAY)
    assert excluded(selection) == {}
    selection = select_techniques(
        library(), intake("fine_lines", injections=("cheeks", None)), TODAY)
    reason = excluded(selection)["smoothing-strokes"]
    assert "date not recorded" in reason and "Ask the client" in reason


def test_areas_the_client_asked_to_avoid_rule_out_techniques_there():
    selection = select_techniques(
        library(), intake("headaches", "neck_tension", areas_to_avoid="Please not my neck"),
        TODAY)
    assert set(excluded(selection)) == {"skull-base-release", "neck-jawline-lift",
                                        "puffiness-drainage"}
    assert chosen(selection) == ["sinus-pressure"]
    assert "Please not my neck" in excluded(selection)["skull-base-release"]


def test_areas_to_avoid_that_name_no_part_of_the_face_are_passed_to_the_therapist():
    selection = select_techniques(
        library(), intake("neck_tension", areas_to_avoid="Left shoulder (bursitis)"), TODAY)
    assert selection.excluded == []
    assert selection.warnings == [
        "The client asked that these areas not be touched: “Left shoulder (bursitis)”. "
        "Check that no chosen technique works there."]


def test_every_precaution_that_stops_facial_work_is_honoured():
    # The treatment room's rules and the handout's must not drift apart: each precaution that
    # keeps hands off the face has an exclusion rule here.
    stops_facial_work = {code for code, (_, reason) in FIXED_RULES.items()
                         if reason.startswith("No facial work")} | set(TREATED_AREA_RULES)
    for code in stops_facial_work:
        answer = {code: ("", TODAY)} if code in TREATED_AREA_RULES else {}
        codes = () if answer else (code,)
        selection = select_techniques(library(), intake("fine_lines", *codes, **answer), TODAY)
        assert "smoothing-strokes" in excluded(selection), code


# ---- what the client is told ----

def test_the_client_is_told_how_their_precautions_change_home_care():
    selection = select_techniques(
        library(), intake("fine_lines", "blood_thinners", "allergy_nut_oils", "headaches",
                          headache_recent=True), TODAY)
    assert any("light pressure" in note for note in selection.notes)
    assert any("nut-free" in note for note in selection.notes)
    assert any("checked by your doctor" in note for note in selection.notes)
    assert selection.excluded == []


@pytest.mark.parametrize(("text", "areas"), [
    ("Lip filler", {Area.MOUTH}),
    ("botox: forehead and crow's feet", {Area.FOREHEAD, Area.EYES}),
    ("Masseter (for grinding)", {Area.JAW}),
    ("under-eye tear trough", {Area.EYES}),
    ("Nasolabial folds and chin", {Area.CHEEKS, Area.JAW}),
    ("Eyebrow lift", {Area.BROWS}),
    ("Temples", {Area.TEMPLES}),
    ("Neck lift", {Area.NECK}),
    ("my knee", set()),
])
def test_free_text_names_parts_of_the_face(text, areas):
    assert areas_named(text) == areas
