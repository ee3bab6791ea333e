"""Every registered route, for every role and for anonymous visitors, answers as the
permission matrix in DESIGN.md says. A route missing from EXPECTED_ACCESS fails the suite."""

import pytest
from werkzeug.routing import Rule

from clinic.auth.models import Role
from clinic.permissions import public
from tests.conftest import csrf_token, sign_in

ADMIN, THERAPIST, RECEPTION = Role.ADMIN, Role.THERAPIST, Role.RECEPTION
STAFF = {ADMIN, THERAPIST, RECEPTION}
PUBLIC = "public"

EXPECTED_ACCESS: dict[str, set[Role] | str] = {
    "auth.login": PUBLIC,
    "auth.logout": STAFF,
    "auth.change_password": STAFF,
    "auth.verify_login": PUBLIC,
    "auth.two_factor": STAFF,
    "auth.two_factor_disable": STAFF,
    "home.index": STAFF,
    "home.healthz": PUBLIC,
    "home.logo": PUBLIC,
    "admin.staff_list": {ADMIN},
    "admin.staff_new": {ADMIN},
    "admin.staff_edit": {ADMIN},
    "admin.staff_deactivate": {ADMIN},
    "admin.staff_reactivate": {ADMIN},
    "admin.staff_reset_two_factor": {ADMIN},
    "admin.settings": {ADMIN},
    "admin.audit_log": {ADMIN},
    "admin.audit_export": {ADMIN},
    "clients.index": STAFF,
    "clients.new": STAFF,
    "clients.show": STAFF,
    "clients.edit": STAFF,
    "clients.archive": STAFF,
    "clients.restore": STAFF,
    "clients.export": {ADMIN, THERAPIST},
    "clients.delete": {ADMIN},
    "clients.link_new": STAFF,
    "clients.link_revoke": STAFF,
    "clients.intake": {ADMIN, THERAPIST},
    "clients.intakes": {ADMIN, THERAPIST},
    "clients.intake_new": {ADMIN, THERAPIST},
    "clients.consent": {ADMIN},
    "clients.public_intake": PUBLIC,
    "clients.public_form": PUBLIC,
    "clients.public_done": PUBLIC,
    "visits.schedule": STAFF,
    "visits.new": STAFF,
    "visits.show": STAFF,
    "visits.client_visits": STAFF,
    "visits.status": STAFF,
    "visits.note": {THERAPIST},
    "visits.autosave": {THERAPIST},
    "visits.addendum": {THERAPIST},
    "visits.templates": {ADMIN},
    "visits.template_new": {ADMIN},
    "visits.template_edit": {ADMIN},
    "aftercare.library": {ADMIN, THERAPIST},
    "aftercare.technique": {ADMIN, THERAPIST},
    "aftercare.technique_new": {ADMIN},
    "aftercare.technique_edit": {ADMIN},
    "aftercare.technique_retire": {ADMIN},
    "aftercare.technique_restore": {ADMIN},
    "aftercare.techniques_install": {ADMIN},
    "aftercare.build": {ADMIN, THERAPIST},
    "aftercare.handout": STAFF,
    "aftercare.client_handouts": STAFF,
    "aftercare.handout_pdf": STAFF,
    "aftercare.handout_email": STAFF,
    "aftercare.handout_print": STAFF,
    "aftercare.handout_link_new": STAFF,
    "aftercare.handout_link_revoke": STAFF,
    "aftercare.shared": PUBLIC,
    "aftercare.shared_pdf": PUBLIC,
    "invoices.index": STAFF,
    "invoices.new": {ADMIN, RECEPTION},
    "invoices.from_visit": {ADMIN, RECEPTION},
    "invoices.show": STAFF,
    "invoices.client_invoices": STAFF,
    "invoices.edit": {ADMIN, RECEPTION},
    "invoices.add_service": {ADMIN, RECEPTION},
    "invoices.add_line": {ADMIN, RECEPTION},
    "invoices.remove_line": {ADMIN, RECEPTION},
    "invoices.issue": {ADMIN, RECEPTION},
    "invoices.pay": {ADMIN, RECEPTION},
    "invoices.refund": {ADMIN, RECEPTION},
    "invoices.delete": {ADMIN, RECEPTION},
    "invoices.void": {ADMIN, RECEPTION},
    "invoices.pdf": STAFF,
    "invoices.service_list": {ADMIN},
    "invoices.service_new": {ADMIN},
    "invoices.service_edit": {ADMIN},
    "invoices.day_report": {ADMIN, RECEPTION},
    "invoices.day_report_pdf": {ADMIN, RECEPTION},
    "invoices.day_report_csv": {ADMIN, RECEPTION},
    "invoices.revenue": {ADMIN},
    "invoices.outstanding": {ADMIN},
}

WHO = [None, ADMIN, THERAPIST, RECEPTION]


def test_every_route_has_an_expectation(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints - EXPECTED_ACCESS.keys() == set(), "add the new routes to EXPECTED_ACCESS"
    assert EXPECTED_ACCESS.keys() - endpoints == set(), "remove routes that no longer exist"


def _url_for_rule(rule: Rule, target_id: int) -> str:
    values = dict.fromkeys(rule.arguments, target_id)
    return rule.build(values)[1]


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


@pytest.mark.parametrize("who", WHO, ids=lambda role: role or "anonymous")
def test_every_route_answers_each_role_as_the_matrix_says(app, make_user, who):
    # Any id in a URL points at a real record: a throwaway staff member.
    target = make_user(THERAPIST)
    for rule in _rules(app):
        expected = EXPECTED_ACCESS[rule.endpoint]
        client = app.test_client()
        if who is not None:
            assert sign_in(client, make_user(who)).status_code == 302
        url = _url_for_rule(rule, target.id)
        if "GET" in rule.methods:
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client)})
        response.close()
        where = f"{sorted(rule.methods - {'HEAD', 'OPTIONS'})} {url} as {who or 'anonymous'}"
        if expected == PUBLIC:
            assert response.status_code != 403, where
            assert "next=" not in response.headers.get("Location", ""), where
        elif who is None:
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/login?next="), where
        elif who in expected:
            assert response.status_code in (200, 302, 404), where
            # Sign-in demanded again would come as /login?next=...; logout's own redirect is fine.
            assert "next=" not in response.headers.get("Location", ""), where
        else:
            assert response.status_code == 403, where


def test_a_view_without_a_declared_permission_is_refused_to_everyone(build_app, make_user):
    app = build_app()
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    app.add_url_rule("/open", "open", public(lambda: "open to all"))
    client = app.test_client()
    assert sign_in(client, make_user(ADMIN)).status_code == 302
    assert client.get("/forgotten").status_code == 403
    assert client.get("/open").get_data(as_text=True) == "open to all"


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (ADMIN, ["Home", "Staff", "Clinic settings", "Audit log", "Password"], []),
        (THERAPIST, ["Home", "Password"], ["Staff", "Clinic settings", "Audit log"]),
        (RECEPTION, ["Home", "Password"], ["Staff", "Clinic settings", "Audit log"]),
    ],
)
def test_navigation_shows_only_what_the_role_may_use(client, signed_in, role, shown, hidden):
    signed_in(role)
    page = client.get("/").get_data(as_text=True)
    menu = page[page.index('<nav aria-label="Main">') : page.index("</nav>")]
    for label in shown:
        assert f">{label}</a>" in menu
    for label in hidden:
        assert f">{label}</a>" not in menu
