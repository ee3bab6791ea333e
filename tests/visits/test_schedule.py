"""The schedule (day and week, one therapist or the whole clinic) and the home pages."""

import re
from datetime import date, time, timedelta

import pytest

from clinic.auth.models import Role, User
from clinic.extensions import db
from clinic.home import routes as home_routes
from clinic.visits import services
from clinic.visits.services import week_start
from tests.conftest import post_form, recorded_statements, sign_in
from tests.visits.conftest import later


def test_the_day_view_has_a_column_per_therapist(client, signed_in, make_user, make_visit,
                                                 make_client):
    signed_in(Role.RECEPTION)
    maya = make_user(Role.THERAPIST, name="Maya Okafor")
    jonah = make_user(Role.THERAPIST, name="Jonah Reyes")
    make_visit(maya, client_id=make_client(first_name="Ann", last_name="Lee"), at=time(9))
    make_visit(jonah, client_id=make_client(first_name="Bo", last_name="Kim"), at=time(9))
    make_visit(maya, client_id=make_client(first_name="Cy", last_name="Day"), day=later(1))
    page = client.get(f"/schedule?date={date.today().isoformat()}").get_data(as_text=True)
    page = page[page.index('<div class="schedule'):]
    assert page.index("Jonah Reyes") < page.index("Bo Kim") < page.index("Maya Okafor") < (
        page.index("Ann Lee"))
    assert "Cy Day" not in page
    only_maya = client.get(f"/schedule?date={date.today().isoformat()}&therapist={maya.id}")
    assert "Ann Lee" in only_maya.get_data(as_text=True)
    assert "Bo Kim" not in only_maya.get_data(as_text=True)


def _columns(page: str) -> list[str]:
    return re.findall(r'<h2 id="column-\d+">\s*(.*?)\s*</h2>', page)


def test_everyones_day_shows_three_therapists_a_page(client, signed_in, make_user, make_visit,
                                                      make_client):
    signed_in(Role.RECEPTION)
    names = ["Ada Lind", "Bea Moss", "Cal Nye", "Dev Ong"]
    for n, name in enumerate(names):
        make_visit(make_user(Role.THERAPIST, name=name),
                   client_id=make_client(first_name="Client", last_name=f"Of{n}"))
    first = client.get(f"/schedule?date={date.today().isoformat()}").get_data(as_text=True)
    assert _columns(first) == names[:3]
    assert "Page 1 of 2 (4 therapists)" in first
    assert "Client Of2" in first and "Client Of3" not in first
    second_url = re.search(r'href="([^"]*page=2[^"]*)" rel="next">Next page', first).group(1)
    second = client.get(second_url.replace("&amp;", "&")).get_data(as_text=True)
    assert _columns(second) == names[3:]
    assert "Client Of3" in second and "Client Of0" not in second
    # Another day keeps the same therapists; choosing "Everyone" again starts at the first.
    assert f"date={later(1).isoformat()}&amp;view=day&amp;therapist=all&amp;page=2" in second
    everyone = client.get(f"/schedule?date={date.today().isoformat()}&therapist=all")
    assert _columns(everyone.get_data(as_text=True)) == names[:3]


def test_a_page_past_the_last_therapist_says_so(client, signed_in, make_user):
    signed_in(Role.RECEPTION)
    make_user(Role.THERAPIST, name="Ada Lind")
    page = client.get(f"/schedule?date={date.today().isoformat()}&page=3").get_data(as_text=True)
    assert "There is no page 3." in page and _columns(page) == []
    assert "No therapists yet" not in page


def test_visits_of_someone_no_longer_bookable_keep_a_column_after_everyone_else(
    app, client, signed_in, make_user, make_visit, make_client
):
    signed_in(Role.RECEPTION)
    gone = make_user(Role.THERAPIST, name="Aaron Left")
    make_visit(gone, client_id=make_client(first_name="Kept", last_name="Visit"))
    with app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.commit()
    for name in ("Bea Moss", "Cal Nye", "Dev Ong"):
        make_user(Role.THERAPIST, name=name)
    first = client.get(f"/schedule?date={date.today().isoformat()}").get_data(as_text=True)
    assert _columns(first) == ["Bea Moss", "Cal Nye", "Dev Ong"]
    assert "Aaron Left</option>" not in first  # not offered for booking or choosing
    second = client.get(f"/schedule?date={date.today().isoformat()}&page=2").get_data(as_text=True)
    assert _columns(second) == ["Aaron Left"] and "Kept Visit" in second
    # On a day without their visits they have no column.
    other_day = client.get(f"/schedule?date={later(1).isoformat()}").get_data(as_text=True)
    assert "Page 1 of" not in other_day and "Aaron Left" not in other_day


def test_one_therapists_day_is_not_paged_and_everyones_week_is(client, signed_in, make_user,
                                                                 make_visit, make_client):
    signed_in(Role.ADMIN)
    people = [make_user(Role.THERAPIST, name=name)
              for name in ("Ada Lind", "Bea Moss", "Cal Nye", "Dev Ong")]
    for n, person in enumerate(people):
        make_visit(person, client_id=make_client(first_name="Client", last_name=f"Of{n}"))
    today = date.today().isoformat()
    one = client.get(f"/schedule?date={today}&therapist={people[3].id}&page=2")
    assert _columns(one.get_data(as_text=True)) == ["Dev Ong"]
    week = client.get(f"/schedule?date={today}&view=week&therapist=all").get_data(as_text=True)
    assert all(f"Client Of{n}" in week for n in range(3)) and "Client Of3" not in week
    assert "Page 1 of 2 (4 therapists)" in week
    assert "The week of Ada Lind, Bea Moss, Cal Nye." in week
    assert f"date={today}&amp;view=week&amp;therapist=all" in week  # the next page's link
    second = client.get(f"/schedule?date={today}&view=week&therapist=all&page=2")
    second = second.get_data(as_text=True)
    assert "Client Of3" in second and "Client Of0" not in second
    assert "The week of Dev Ong." in second
    # A day of the week opens on the same therapists.
    assert f"date={today}&amp;view=day&amp;therapist=all&amp;page=2" in second
    past = client.get(f"/schedule?date={today}&view=week&therapist=all&page=3")
    assert "There is no page 3." in past.get_data(as_text=True)


def test_someone_who_is_not_a_therapist_has_no_day_of_their_own(client, signed_in, make_user,
                                                                 make_visit, make_client):
    desk = signed_in(Role.RECEPTION)
    gone = make_user(Role.THERAPIST, name="Aaron Left", active=False)
    ada = make_user(Role.THERAPIST, name="Ada Lind")
    make_visit(ada, client_id=make_client(first_name="Ann", last_name="Lee"))
    today = date.today().isoformat()
    for someone in (desk.id, 999_999):  # the desk's own id, and no one's
        page = client.get(f"/schedule?date={today}&therapist={someone}").get_data(as_text=True)
        assert _columns(page) == ["Ada Lind"] and "Ann Lee" in page, someone
    # A therapist who has left still has their day, empty here.
    page = client.get(f"/schedule?date={today}&therapist={gone.id}").get_data(as_text=True)
    assert _columns(page) == ["Aaron Left"] and "No visits." in page


def test_the_week_view_shows_seven_days_from_monday(client, signed_in, make_user, make_visit,
                                                    make_client):
    signed_in(Role.ADMIN)
    maya = make_user(Role.THERAPIST, name="Maya Okafor")
    monday = week_start(date.today())
    make_visit(maya, client_id=make_client(first_name="Ann", last_name="Lee"), day=monday)
    make_visit(maya, client_id=make_client(first_name="Cy", last_name="Day"),
               day=monday + timedelta(days=6))
    make_visit(maya, client_id=make_client(first_name="Ed", last_name="Out"),
               day=monday + timedelta(days=7))
    page = client.get(f"/schedule?date={date.today().isoformat()}&view=week").get_data(as_text=True)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        assert f"{day:%A} {day.day} {day:%B}" in page
    assert "Ann Lee" in page and "Cy Day" in page and "Ed Out" not in page
    assert "with Maya Okafor" in page
    assert "Next week" in page


def test_a_therapist_starts_on_their_own_day_and_can_see_everyone(client, make_user,
                                                                  make_visit, make_client):
    me = make_user(Role.THERAPIST, name="Maya Okafor")
    make_visit(me, client_id=make_client(first_name="Ann", last_name="Lee"))
    make_visit(make_user(Role.THERAPIST), client_id=make_client(first_name="Bo", last_name="Kim"))
    sign_in(client, me)
    own = client.get("/schedule").get_data(as_text=True)
    assert "Ann Lee" in own and "Bo Kim" not in own
    everyone = client.get("/schedule?therapist=all").get_data(as_text=True)
    assert "Ann Lee" in everyone and "Bo Kim" in everyone


def test_a_bad_date_falls_back_to_today(client, signed_in):
    signed_in(Role.RECEPTION)
    page = client.get("/schedule?date=31-02-2020&therapist=x").get_data(as_text=True)
    assert f"{date.today():%A} {date.today().day} {date.today():%B}" in page


@pytest.fixture
def count_queries(app):
    def run(request):
        with recorded_statements(app) as statements:
            response = request()
        assert response.status_code == 200
        return len(statements)

    return run


@pytest.mark.parametrize(("role", "url"), [
    (Role.THERAPIST, "/schedule?therapist=all"),
    (Role.THERAPIST, "/schedule?view=week&therapist=all"),
    (Role.THERAPIST, "/"),
    (Role.RECEPTION, "/"),
])
def test_the_lists_take_the_same_queries_for_three_visits_or_twelve(
    client, make_user, make_visit, make_client, make_intake, count_queries, role, url
):
    therapist = make_user(Role.THERAPIST)
    sign_in(client, therapist if role == Role.THERAPIST else make_user(role))

    def add(n, start_hour):
        for hour in range(start_hour, start_hour + n):
            client_id = make_client()
            make_intake(client_id, blood_thinners="warfarin")
            make_visit(therapist, client_id=client_id, at=time(hour % 24))

    add(3, 6)
    few = count_queries(lambda: client.get(url))
    add(9, 9)
    many = count_queries(lambda: client.get(url))
    assert many == few


def test_the_front_desk_lists_the_next_clients_expected_and_counts_the_rest(
    app, client, signed_in, make_user, make_visit, make_client
):
    desk = signed_in(Role.RECEPTION)
    maya = make_user(Role.THERAPIST, name="Maya Okafor")
    visits = [make_visit(maya, client_id=make_client(first_name="Client", last_name=f"No{n:02}"),
                         at=time(7 + n // 2, 30 * (n % 2)), minutes=30) for n in range(15)]
    make_visit(maya, client_id=make_client(first_name="Tomorrow", last_name="Only"), day=later(1))
    with app.app_context():
        actor = db.session.get(User, desk.id)
        for number, statuses in ((0, ["arrived", "completed"]), (1, ["cancelled"]),
                                 (3, ["arrived"])):
            for status in statuses:
                visit = services.get_visit(visits[number])
                services.change_status(visit, status, "Called in sick", actor, visit.version)
    page = client.get("/").get_data(as_text=True)
    listed = re.findall(r">Client (No\d\d)</a>", page[page.index("Today's arrivals"):])
    # Completed and cancelled visits are gone; a client not yet marked arrived at 08:00 is
    # running late, and first.
    assert listed == [f"No{n:02}" for n in range(2, 14)]
    assert "The next 12 of 13 clients expected or in the building are listed." in page
    assert "Tomorrow Only" not in page
    assert page.count('value="arrived"') == 11  # each booked client listed, not the arrived


def test_the_therapist_home_lists_today_with_flags_and_notes_to_sign(
    app, client, make_user, make_visit, make_client, make_intake
):
    me = make_user(Role.THERAPIST)
    jane = make_client(first_name="Jane", last_name="Doyle")
    make_intake(jane, skin_infection="cold sore on the lip")
    make_visit(me, client_id=jane, at=time(9))
    make_visit(me, client_id=make_client(first_name="Ann", last_name="Lee"), at=time(11))
    yesterday = make_visit(me, client_id=make_client(first_name="Bo", last_name="Kim"),
                           day=date.today() - timedelta(days=1))
    sign_in(client, me)
    post_form(client, f"/visits/{yesterday}/note",
              {"subjective": "S", "assessment": "A", "version": "", "action": "save"})
    page = client.get("/").get_data(as_text=True)
    section = page[page.index("Your visits today"):page.index("to sign")]
    assert "Jane Doyle" in section and "Do not treat today" in section
    assert "Intake current" in section
    assert "Ann Lee" in section and "No intake" in section
    assert "1 note to sign" in page
    assert "Bo Kim" in page[page.index("to sign"):]


def test_the_therapist_home_lists_the_oldest_notes_to_sign_and_counts_them_all(
    client, make_user, make_visit, make_client, monkeypatch
):
    monkeypatch.setattr(home_routes, "LATEST", 2)
    me = make_user(Role.THERAPIST)
    sign_in(client, me)
    for days, name in ((3, "Oldest"), (2, "Older"), (1, "Newest")):
        visit = make_visit(me, client_id=make_client(first_name=name, last_name="Client"),
                           day=date.today() - timedelta(days=days))
        post_form(client, f"/visits/{visit}/note",
                  {"subjective": "S", "version": "", "action": "save"})
    page = client.get("/").get_data(as_text=True)
    listed = page[page.index("to sign"):]
    assert "3 notes to sign" in page
    assert "Oldest Client" in listed and "Older Client" in listed
    assert "Newest Client" not in listed
    assert "The oldest 2 are listed" in listed


def test_the_schedule_flags_a_treated_face_by_how_long_ago_it_was_treated(
    client, make_user, make_visit, make_client, make_intake
):
    me = make_user(Role.THERAPIST)
    for hour, name, days_ago in ((9, "Recent", 3), (11, "Healed", 60), (13, "Nothing", None)):
        client_id = make_client(first_name=name, last_name="Filler")
        if days_ago is None:
            make_intake(client_id)  # nothing ticked
        else:
            make_intake(client_id, injections="lips",
                        on_dates={"injections": date.today() - timedelta(days=days_ago)})
        make_visit(me, client_id=client_id, at=time(hour))
    sign_in(client, me)
    page = client.get("/schedule").get_data(as_text=True)
    recent, healed = page[page.index("Recent Filler"):page.index("Nothing Filler")].split(
        "Healed Filler")
    nothing = page[page.index("Nothing Filler"):page.index("</ul>", page.index("Nothing Filler"))]
    assert "Adapt technique" in recent
    assert "Adapt technique" not in healed and "flag--note" in healed
    assert "flag" not in nothing and "Intake current" in nothing


def test_reception_sees_that_precautions_exist_but_not_what_they_are(
    client, signed_in, make_user, make_visit, make_client, make_intake
):
    jane = make_client(first_name="Jane", last_name="Doyle")
    make_intake(jane, skin_infection="cold sore on the lip")
    visit_id = make_visit(make_user(Role.THERAPIST), client_id=jane)
    signed_in(Role.RECEPTION)
    for url in ("/", "/schedule", f"/visits/{visit_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "Precautions on file" in page or "has precautions on file" in page, url
        assert "cold sore" not in page and "Do not treat" not in page, url


def test_the_visit_page_shows_therapists_the_precautions_and_intake(
    client, make_user, make_visit, make_client, make_intake
):
    me = make_user(Role.THERAPIST)
    jane = make_client(first_name="Jane", last_name="Doyle")
    make_intake(jane, teeth_grinding="at night", blood_thinners="warfarin",
                reason="Jaw pain")
    visit_id = make_visit(me, client_id=jane)
    sign_in(client, me)
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "Light pressure only: blood thinners make bruising easy." in page
    assert "Teeth grinding or clenching (at night)" in page
    assert "Jaw pain" in page
    note_page = client.get(f"/visits/{visit_id}/note").get_data(as_text=True)
    assert "Light pressure only" in note_page


def test_dates_are_read_on_the_clinic_calendar(client, signed_in, make_user, make_visit):
    signed_in(Role.RECEPTION)
    make_visit(make_user(Role.THERAPIST), at=time(0, 0), day=date(2031, 3, 10))
    page = client.get("/schedule?date=2031-03-10&therapist=all").get_data(as_text=True)
    assert "00:00\u201301:00" in page
    assert "00:00\u201301:00" not in client.get("/schedule?date=2031-03-09").get_data(as_text=True)
