"""Adding, finding, editing and archiving clients."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.clients.models import Client
from clinic.extensions import db
from tests.conftest import dated, post_form, recorded_statements, sign_in

NEW_CLIENT = {
    "first_name": "Jane",
    "last_name": "Smith",
    "date_of_birth": "1984-03-21",
    "phone": "+1 902 555 0199",
    "email": "Jane.Smith@Example.org",
    "handout_delivery": "email",
}


def client_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Client))


def page_text(response) -> str:
    return response.get_data(as_text=True)


def listed(response) -> str:
    """The list's table alone, without messages or the search box."""
    page = page_text(response)
    return page[page.index("<tbody>"): page.index("</tbody>")] if "<tbody>" in page else ""


@pytest.mark.parametrize("role", [Role.ADMIN, Role.THERAPIST, Role.RECEPTION])
def test_any_staff_member_adds_a_client_and_lands_on_their_page(client, signed_in, role):
    signed_in(role)
    response = post_form(client, "/clients/new", NEW_CLIENT)
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert "<h1>Jane Smith" in page
    assert "jane.smith@example.org" in page
    assert "No intake yet." in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"date_of_birth": timedelta(days=1)}, "date_of_birth",
         "The date of birth cannot be in the future."),
        ({"date_of_birth": ""}, "date_of_birth", "Enter the date of birth"),
        ({"email": "jane@"}, "email", "Enter an email like name@example.com."),
        ({"phone": "call me"}, "phone", "Enter a phone number of 7 to 15 digits"),
        ({"phone": "12345"}, "phone", "Enter a phone number of 7 to 15 digits"),
        ({"emergency_contact_phone": "+1 (902) 555-01999999999"}, "emergency_contact_phone",
         "Enter a phone number of 7 to 15 digits"),
        ({"first_name": "  "}, "first_name", "Enter the client's first name."),
        ({"email": "", "handout_delivery": "email"}, "email", "Add an email"),
    ],
)
def test_wrong_details_are_refused_next_to_their_field_and_nothing_is_saved(
    app, client, signed_in, changes, field, message
):
    signed_in(Role.RECEPTION)
    response = post_form(client, "/clients/new", dated({**NEW_CLIENT, **changes}))
    assert response.status_code == 200
    page = page_text(response)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in html.unescape(error.group(1)), page
    assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="{field}"', page)
    assert client_count(app) == 0


@pytest.mark.parametrize(
    "lookalike",
    [
        {"email": "someone.else@example.org", "phone": ""},  # same name and birth date
        {"first_name": "Janet", "phone": ""},  # same email
        {"first_name": "Janet", "email": "j@example.org", "phone": "(902) 555-0199"},
    ],
    ids=["name and birth date", "email", "phone without country code"],
)
def test_a_possible_duplicate_is_pointed_out_before_a_second_client_is_added(
    app, client, signed_in, make_client, lookalike
):
    existing = make_client(**{**NEW_CLIENT, "email": "jane.smith@example.org",
                              "date_of_birth": date(1984, 3, 21)})
    signed_in(Role.RECEPTION)
    response = post_form(client, "/clients/new", {**NEW_CLIENT, **lookalike,
                                                  "handout_delivery": "print"})
    page = page_text(response)
    assert "This may be someone the clinic already knows" in page
    assert f'href="/clients/{existing}"' in page
    assert client_count(app) == 1

    confirmed = post_form(client, "/clients/new", {**NEW_CLIENT, **lookalike,
                                                   "handout_delivery": "print",
                                                   "not_duplicate": "y"})
    assert confirmed.status_code == 302
    assert client_count(app) == 2


def test_editing_a_client_saves_the_change_and_records_who_made_it(
    app, client, signed_in, make_client
):
    client_id = make_client()
    staff = signed_in(Role.THERAPIST)
    form = page_text(client.get(f"/clients/{client_id}/edit"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    with app.app_context():
        current = db.session.get(Client, client_id)
        fields = {"first_name": current.first_name, "last_name": current.last_name,
                  "date_of_birth": current.date_of_birth.isoformat(), "email": current.email,
                  "handout_delivery": "email"}
    response = post_form(client, f"/clients/{client_id}/edit",
                         {**fields, "phone": "902.555.7777", "version": version})
    assert response.status_code == 302
    assert "902.555.7777" in page_text(client.get(f"/clients/{client_id}"))
    with app.app_context():
        event_row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "client.updated")
        ).one()
        assert event_row.actor_id == staff.id
        assert '"phone"' in event_row.detail


def _edit_form(browser, client_id: int) -> dict:
    """The edit form's fields as the page fills them in."""
    page = page_text(browser.get(f"/clients/{client_id}/edit"))
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    fields = {name: html.unescape(value) for name, value in fields.items()}
    return fields | {"handout_delivery": re.search(
        r'<input checked[^>]*name="handout_delivery"[^>]*value="(\w+)"', page).group(1)}


def test_a_save_from_a_form_opened_before_someone_elses_save_keeps_both(
    app, make_user, make_client
):
    client_id = make_client(first_name="Ann")
    desk, therapist = app.test_client(), app.test_client()
    sign_in(desk, make_user(Role.RECEPTION))
    sign_in(therapist, make_user(Role.THERAPIST))
    at_desk, in_room = _edit_form(desk, client_id), _edit_form(therapist, client_id)
    assert post_form(therapist, f"/clients/{client_id}/edit",
                     {**in_room, "pronouns": "she/her"}).status_code == 302

    response = post_form(desk, f"/clients/{client_id}/edit", {**at_desk, "first_name": "Anne"})
    assert response.status_code == 409
    page = page_text(response)
    assert "Someone else saved this client while you were editing" in page
    unsaved = page[page.index("What you typed, not saved"):page.index("</dl>")]
    assert "<dt>First name</dt><dd class=\"pre\">Anne</dd>" in unsaved
    with app.app_context():
        kept = db.session.get(Client, client_id)
        assert (kept.first_name, kept.pronouns) == ("Ann", "she/her")

    again = _edit_form(desk, client_id)
    assert again["pronouns"] == "she/her"
    assert post_form(desk, f"/clients/{client_id}/edit",
                     {**again, "first_name": "Anne"}).status_code == 302
    with app.app_context():
        kept = db.session.get(Client, client_id)
        assert (kept.first_name, kept.pronouns) == ("Anne", "she/her")


def test_an_archived_client_leaves_the_list_keeps_the_record_and_can_be_restored(
    app, client, signed_in, make_client
):
    client_id = make_client(last_name="Archer")
    signed_in(Role.RECEPTION)
    assert post_form(client, f"/clients/{client_id}/archive").status_code == 302
    assert "Archer" not in listed(client.get("/clients"))
    assert "Archer" in listed(client.get("/clients?archived=1"))
    assert "Archived on" in page_text(client.get(f"/clients/{client_id}"))
    assert post_form(client, f"/clients/{client_id}/restore").status_code == 302
    assert "Archer" in listed(client.get("/clients"))
    assert client_count(app) == 1


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("smi", ["Jane Smith"]),
        ("Jane", ["Jane Smith"]),
        ("jane sm", ["Jane Smith"]),
        ("SMITH J", ["Jane Smith"]),
        ("zoe", ["Zoë O'Brien"]),
        ("o'brien", ["Zoë O'Brien"]),
        ("jsmith@", ["Jane Smith"]),
        ("555 0199", ["Jane Smith"]),
        ("+1 (902) 555-0199", ["Jane Smith"]),
        ("0100", ["Zoë O'Brien"]),
        ("mit", []),
        ("\u0301", []),
    ],
)
def test_search_matches_the_start_of_a_name_an_email_or_the_end_of_a_phone(
    client, signed_in, make_client, query, found
):
    make_client(first_name="Jane", last_name="Smith", email="jsmith@example.org",
                phone="+1 902 555 0199")
    make_client(first_name="Zoë", last_name="O'Brien", email="zob@example.org",
                phone="902 555 0100")
    make_client(first_name="Marcus", last_name="Ng", email="mng@example.org",
                phone="+44 20 7946 0958")
    signed_in(Role.RECEPTION)
    page = listed(client.get("/clients", query_string={"q": query}))
    names = {"Jane Smith": "Smith, Jane", "Zoë O'Brien": "O&#39;Brien, Zoë",
             "Marcus Ng": "Ng, Marcus"}
    shown = [name for name, listed in names.items() if listed in page]
    assert shown == found


def test_the_list_is_paged_in_name_order(client, signed_in, make_client):
    for n in range(30):
        make_client(first_name="Pat", last_name=f"Member{n:02d}")
    signed_in(Role.RECEPTION)
    first = page_text(client.get("/clients"))
    assert "Page 1 of 2 (30 clients)" in first
    assert "Member00, Pat" in first and "Member24, Pat" in first
    assert "Member25, Pat" not in first
    second = page_text(client.get("/clients?page=2"))
    assert "Member25, Pat" in second and "Member29, Pat" in second
    assert "Member00, Pat" not in second


def test_a_search_pages_its_matches_once_each_in_name_order_whatever_matched(
    client, signed_in, make_client
):
    for n in range(10):
        make_client(first_name="Leela", last_name=f"Zed{n}")
        make_client(first_name="Ann", last_name=f"Leeds{n}")
        make_client(first_name="Bo", last_name=f"Moss{n}", email=f"lee{n}@example.org")
    make_client(first_name="Lee", last_name="Lee")
    make_client(first_name="Kim", last_name="Ng")
    signed_in(Role.RECEPTION)
    first, second = client.get("/clients?q=lee"), client.get("/clients?q=lee&page=2")
    assert "Page 1 of 2 (31 clients)" in page_text(first)
    shown = re.findall(r'<a href="/clients/\d+">([^<]+)</a>', listed(first) + listed(second))
    assert shown == (["Lee, Lee"] + [f"Leeds{n}, Ann" for n in range(10)]
                     + [f"Moss{n}, Bo" for n in range(10)] + [f"Zed{n}, Leela" for n in range(10)])


def test_the_list_costs_the_same_queries_for_two_clients_as_for_a_full_page(
    app, client, signed_in, make_client, make_intake
):
    signed_in(Role.RECEPTION)

    def queries_for_list() -> int:
        with recorded_statements(app) as statements:
            assert client.get("/clients").status_code == 200
        return len(statements)

    for _ in range(2):
        make_intake(make_client())
    few = queries_for_list()
    for _ in range(23):
        make_intake(make_client())
    assert queries_for_list() == few


@pytest.mark.parametrize(
    "url", ["/clients/999999", "/clients/999999/edit", "/clients/999999/intakes/1",
            "/clients/999999/intakes/new"]
)
def test_an_unknown_client_id_answers_404(client, signed_in, url):
    signed_in(Role.ADMIN)
    assert client.get(url).status_code == 404


def test_an_unknown_client_id_answers_404_to_changes_too(client, signed_in):
    signed_in(Role.ADMIN)
    assert post_form(client, "/clients/999999/archive").status_code == 404
    assert post_form(client, "/clients/999999/intake-links").status_code == 404
