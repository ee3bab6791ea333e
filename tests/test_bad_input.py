"""Bad input across the whole app. Every route, opened by a role allowed to use it, receives
oversize text, wrong types, unknown and huge ids, script and HTML payloads, NUL characters and
bytes that are not UTF-8, in its URL, its query string and its forms' fields. No answer is a
server error, a refused form changes no table, and what was typed comes back escaped.

The pages, their forms and their query parameters are found as a browser finds them: by
following the links of a demo clinic, as the admin, as a therapist and as a client. Hypothesis
runs a fixed, derandomized number of examples per route, each starting from what the page
would send and spoiling a few parts of it.
"""

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from werkzeug.exceptions import HTTPException

from clinic import demo
from clinic.admin.models import ClinicSettings
from clinic.aftercare import handouts
from clinic.aftercare.models import Handout
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role, User
from clinic.auth.passwords import hash_password
from clinic.clients import services as client_services
from clinic.clients.models import Client, Intake
from clinic.extensions import db
from clinic.permissions import PUBLIC, RULES
from tests.clients.conftest import make_client, smtp_server  # noqa: F401 (fixtures)
from tests.conftest import csrf_token, post_form

SCRIPT = '<script>alert("swept")</script>'
TAG = '"><img src=x onerror=alert("swept")>'


class Named(str):
    """A value shown by its name: a failing example reads <oversize>, not 100,000 x's."""

    def __new__(cls, name: str, value: str):
        named = super().__new__(cls, value)
        named.name = name
        return named

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _named(values: dict[str, str]) -> st.SearchStrategy[str]:
    return st.sampled_from([Named(name, value) for name, value in values.items()])


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


OVERSIZE = Named("oversize", "x" * 100_000)
# Every route meets every kind of trouble: each kind is a search of its own.
KINDS = {
    "oversize": _named({"oversize": OVERSIZE, "oversize-multibyte": "é" * 100_000}),
    "wrong type": _named({
        "word": "abc", "decimal": "1.5", "float-overflow": "1e309", "nan": "NaN",
        "minus-infinity": "-Infinity", "hex": "0x1F", "true": "true", "list": "[]", "empty": "",
        "space": " ", "february-30": "2024-02-30", "year-99999": "99999-12-31",
        "year-9999": "9999-12-31", "year-1": "0001-01-01", "bad-time": "25:61"}),
    "number": _named({
        "negative": "-1", "zero": "0", "int32-overflow": str(2**31), "int64-overflow": str(2**63),
        "forty-nines": "9" * 40, "minus-forty-nines": "-" + "9" * 40,
        "huge-number": "1" + "0" * 400, "superscript-two": "²"}),
    "markup": _named({"script": SCRIPT, "tag": TAG, "bold": "<b>bold</b>"}),
    "control": _named({"nul-inside": "a\x00b", "nul": "\x00", "escape": "a\x1b[31mb\x7f"}),
    "odd text": _named({"bom-and-rtl": "\ufeff\u202e", "path": "../../etc/passwd",
                        "sql": "' OR 1=1 --"}),
    "any text": st.text(max_size=30),
    # Sent as raw bytes in a form body, percent-encoded in a URL.
    "not utf-8": st.binary(min_size=1, max_size=12).filter(lambda raw: not _is_utf8(raw)),
}
# Or the trouble is in the address: an unknown, huge or mangled id or token.
ADDRESS = "address"
IDS = [0, 2**31 - 1, 2**31, 2**63, 10**30]
TOKENS = [OVERSIZE, SCRIPT, "\x00", "A" * 32]
ADDRESS_EXAMPLES = 3

SWEEP = settings(
    deadline=None,
    derandomize=True,
    database=None,
    # A failure names its request; shrinking 100,000-character values would take minutes.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Routes whose forms can change a staff account or how everyone signs in.
ACCOUNT_ROUTES = ("admin.", "auth.")
# Logging out would end the session the rest of the sweep uses.
SKIPPED = {"auth.logout"}
# Pages of one route opened while crawling, per role: enough to meet each kind of record.
PAGES_PER_ROUTE = 3


# ---- the demo clinic, and a browser per role ----

@dataclass
class Form:
    action: str
    # What a browser sends as the page stands, and every field name it could send.
    defaults: list[tuple[str, str]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    buttons: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class World:
    app: Flask
    browsers: dict[str, object]
    # By endpoint: (role, address) of the pages crawled, and (role, form) of forms posting to
    # it; the query names each GET route was seen with.
    pages: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    forms: dict[str, list[tuple[str, Form]]] = field(default_factory=dict)
    query_names: dict[str, set[str]] = field(default_factory=dict)
    # Each table's rows after the last request swept; None when other requests came since.
    counts: dict[str, int] | None = None
    # The routes swept, and those that answered at least one request of the sweep
    # themselves rather than sending it to sign in.
    swept: set[str] = field(default_factory=set)
    reached: set[str] = field(default_factory=set)


# The admin, and Maya: the therapist of demo visits with notes still to sign.
STAFF = {Role.ADMIN: demo.STAFF[0], Role.THERAPIST: demo.STAFF[1]}


def _seed(app) -> tuple[list[str], list[str]]:
    """A demo clinic; returns the client's own addresses, which no staff page links to, and a
    client's full lists, which the client page links to only once there are more than it
    shows."""
    with app.app_context():
        demo.seed()
        maya = db.session.scalar(select(User).where(User.email == STAFF[Role.THERAPIST][1]))
        client = db.session.scalar(select(Client).join(Intake).order_by(Client.id))
        intake_token = client_services.create_link(client, maya.id)[1]
        handout = db.session.scalar(select(Handout).order_by(Handout.id))
        handout_token = handouts.create_link(handout, maya)[1]
        return [f"/intake/{intake_token}", f"/intake/{intake_token}/form", "/intake/thanks",
                f"/h/{handout_token}", f"/h/{handout_token}/handout.pdf",
                "/login", "/login/verify", "/healthz", "/clinic-logo"], [
                f"/clients/{client.id}/{listing}"
                for listing in ("visits", "invoices", "handouts", "intakes")]


def _signed_in(app, role: Role):
    _, email, _, _, password = STAFF[role]
    browser = app.test_client()
    response = browser.post("/login", data={"csrf_token": csrf_token(browser), "email": email,
                                            "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


@pytest.fixture
def world(app, smtp_server) -> World:  # noqa: F811
    # A real mail server on loopback: an email the sweep makes a form send goes out.
    app.config.update(MAIL_SERVER=smtp_server.hostname, MAIL_PORT=smtp_server.port,
                      MAIL_SENDER="desk@clinic.example")
    client_pages, full_lists = _seed(app)
    browsers = {role: _signed_in(app, role) for role in STAFF}
    # The client's own browser, past the date-of-birth check of their intake link.
    visitor = app.test_client()
    with app.app_context():
        born = db.session.scalar(select(Client.date_of_birth).join(Intake).order_by(Client.id))
    confirm = visitor.post(client_pages[0], data={"csrf_token": csrf_token(visitor),
                                                  "date_of_birth": born.isoformat()})
    assert confirm.status_code == 302
    browsers[PUBLIC] = visitor
    found = World(app, browsers)
    for role in STAFF:
        _crawl(found, role, ["/", *full_lists])
    _crawl(found, PUBLIC, client_pages)
    return found


def _allowed(app, endpoint: str, role: str) -> bool:
    permission = app.view_functions[endpoint].permission
    return permission == PUBLIC or (role != PUBLIC and Role(role) in RULES[permission])


def _restore_staff(world: World) -> None:
    """Sign the sweep's staff in again if a route's sweep changed their password or role,
    turned on two-factor sign-in for everyone, or otherwise signed them out."""
    app = world.app
    for role in STAFF:
        if world.browsers[role].get("/").status_code == 200:
            continue
        name, email, _, _, password = STAFF[role]
        with app.app_context():
            db.session.execute(update(User).where(User.email == email).values(
                name=name, role=role.value, active=True, password_hash=hash_password(password)))
            db.session.execute(update(ClinicSettings).values(require_two_factor=False))
            db.session.commit()
        world.browsers[role] = _signed_in(app, role)
        world.counts = None


# ---- pages, read as a browser reads them ----

class PageReader(HTMLParser):
    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.get_forms: list[Form] = []
        self.post_forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._autosave: str | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and attributes.get("href", "").startswith("/"):
            self.links.append(attributes["href"])
        elif tag == "form":
            self._form = Form(attributes.get("action") or self.url)
            is_post = attributes.get("method", "get").lower() == "post"
            (self.post_forms if is_post else self.get_forms).append(self._form)
            # The note editor's script posts the same fields there as one types.
            self._autosave = attributes.get("data-autosave")
        elif tag == "option" and self._select:
            self._options.append((attributes.get("value", ""), "selected" in attributes))
        elif self._form is not None and attributes.get("name"):
            self._field(tag, attributes["name"], attributes)

    def _field(self, tag: str, name: str, attributes: dict) -> None:
        form = self._form
        kind = attributes.get("type", "text")
        if tag not in ("input", "button", "select", "textarea") or kind == "file":
            return
        form.names.add(name)
        if tag == "button" or kind in ("submit", "image"):
            form.buttons.append((name, attributes.get("value", "")))
        elif tag == "select":
            self._select, self._options = name, []
        elif tag == "textarea":
            self._textarea, self._text = name, []
        elif kind not in ("checkbox", "radio") or "checked" in attributes:
            form.defaults.append((name, attributes.get("value", "on")))

    def handle_endtag(self, tag):
        form = self._form
        if form is None:
            return
        if tag == "form":
            if self._autosave:
                self.post_forms.append(Form(self._autosave, form.defaults, form.names))
            self._form = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if chosen or self._options:
                form.defaults.append((self._select, (chosen or [self._options[0][0]])[0]))
            self._select = None
        elif tag == "textarea" and self._textarea:
            form.defaults.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def _route(app, url: str, method: str) -> str | None:
    try:
        return app.url_map.bind("localhost").match(urlsplit(url).path, method=method)[0]
    except HTTPException:
        return None


def _assert_escaped(body: str, where: str) -> None:
    assert SCRIPT not in body and TAG not in body, f"{where}: a payload is shown unescaped"


def _open(browser, url: str) -> str | None:
    """A page's HTML (None for a PDF or CSV), checked for a server error or a raw payload."""
    response = browser.get(url)
    response.close()
    assert response.status_code < 500, url
    if not response.content_type.startswith("text/html"):
        return None
    body = response.get_data(as_text=True)
    _assert_escaped(body, url)
    return body


def _crawl(world: World, role: str, seeds: list[str]) -> None:
    """Follow the links from the seeds that the role may open; note forms and query names."""
    app, browser = world.app, world.browsers[role]
    queue, seen, opened = deque(seeds), set(), {}
    while queue:
        url = queue.popleft()
        endpoint = _route(app, url, "GET")
        if url in seen or endpoint is None or endpoint in SKIPPED or \
                not _allowed(app, endpoint, role):
            continue
        seen.add(url)
        limit = 1 if urlsplit(url).path.endswith((".pdf", ".csv")) else PAGES_PER_ROUTE
        if opened.get(endpoint, 0) >= limit:
            continue
        opened[endpoint] = opened.get(endpoint, 0) + 1
        world.pages.setdefault(endpoint, []).append((role, url))
        body = _open(browser, url)
        if body is None:
            continue
        reader = PageReader(url)
        reader.feed(body)
        for form in reader.post_forms:
            if target := _route(app, form.action, "POST"):
                world.forms.setdefault(target, []).append((role, form))
        for form in reader.get_forms:
            if target := _route(app, form.action, "GET"):
                world.query_names.setdefault(target, set()).update(form.names)
        for link in reader.links:
            if target := _route(app, link, "GET"):
                world.query_names.setdefault(target, set()).update(
                    name for name, _ in parse_qsl(urlsplit(link).query))
            queue.append(link)


def _unseen_forms(world: World) -> None:
    """A bare form for each route no crawled page showed a form for (a state the demo clinic
    lacks, such as a refund left to make): posted to the ids seen elsewhere, with any field
    name seen in the app."""
    app = world.app
    adapter = app.url_map.bind("localhost")
    ids: dict[str, object] = {}
    for url in [url for pages in world.pages.values() for _, url in pages] + \
            [form.action for forms in world.forms.values() for _, form in forms]:
        for method in ("GET", "POST"):
            try:
                ids |= adapter.match(urlsplit(url).path, method=method)[1]
            except HTTPException:
                continue
    names = set().union(*(form.names for forms in world.forms.values() for _, form in forms))
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if "POST" not in rule.methods or endpoint in world.forms or endpoint in SKIPPED:
            continue
        role = next(role for role in (*STAFF, PUBLIC) if _allowed(app, endpoint, role))
        action = rule.build({name: ids[name] for name in rule.arguments})[1]
        world.forms[endpoint] = [(role, Form(action, names=names))]


# ---- what each answer must be ----

# Refused attempts the audit log keeps on purpose: wrong passwords, codes and birth dates, and
# deleting a client whose records must still be kept.
AUDITED_ATTEMPTS = {"login.failed", "two_factor.failed", "intake_link.birth_date_wrong",
                    "client.delete_refused"}
AUDIT_TABLES = {"audit_event", "audit_chain_head"}
# Where a request goes when its browser is no longer signed in, or owes a second factor.
SIGN_IN = ("/login?next=", "/account/two-factor")
ERROR_MARKERS = ('class="error"', "alert--error", 'aria-invalid="true"')


def _row_counts(app) -> dict[str, int]:
    tables = db.metadata.sorted_tables
    with app.app_context():
        counts = db.session.execute(select(*(
            select(func.count()).select_from(table).scalar_subquery() for table in tables
        ))).one()
    return {table.name: count for table, count in zip(tables, counts, strict=True)}


def _audited_since(app, seq: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.seq > seq)))


def _refused(browser, response) -> bool:
    """An error status, errors shown on the page, or an error flashed for the next page."""
    if response.status_code >= 400:
        return True
    if response.content_type.startswith("text/html") and any(
            marker in response.get_data(as_text=True) for marker in ERROR_MARKERS):
        return True
    with browser.session_transaction() as session:
        flashed = session.pop("_flashes", [])
    return any(category == "error" for category, _ in flashed)


def _check(world: World, endpoint: str, browser, send, where: str) -> None:
    before = world.counts or _row_counts(world.app)
    try:
        response = send()
    except Exception as error:
        error.add_note(where)  # the request, beside the server error it raised
        raise
    after = world.counts = _row_counts(world.app)
    response.close()
    assert response.status_code < 500, where
    world.swept.add(endpoint)
    if not response.headers.get("Location", "").startswith(SIGN_IN):
        world.reached.add(endpoint)
    if response.content_type.startswith("text/html"):
        _assert_escaped(response.get_data(as_text=True), where)
    if _refused(browser, response):
        changed = {name for name in before if before[name] != after[name]} - AUDIT_TABLES
        assert not changed, f"{where}: refused, yet rows changed in {sorted(changed)}"
        audited = set()
        if after["audit_event"] != before["audit_event"]:
            audited = _audited_since(world.app, before["audit_event"]) - AUDITED_ATTEMPTS
        assert not audited, f"{where}: refused, yet the audit log records {sorted(audited)}"


# ---- the sweep ----

def _search(examples: int, test) -> None:
    """Run `test(data)` on `examples` derandomized examples."""
    settings(SWEEP, max_examples=examples)(given(data=st.data())(test))()


def _kinds(rule_arguments) -> list[tuple[str, int]]:
    """Each kind of trouble to send, and how many examples of it."""
    return [(kind, 1) for kind in KINDS] + ([(ADDRESS, ADDRESS_EXAMPLES)] if rule_arguments else [])


@st.composite
def addresses(draw, world: World, url: str, method: str, kind: str) -> tuple[str, list]:
    """`url`'s path, with some of its arguments spoiled for the address kind; and its query."""
    rule, values = world.app.url_map.bind("localhost").match(
        urlsplit(url).path, method=method, return_rule=True)
    raw = None
    if kind == ADDRESS:
        for name in draw(st.lists(st.sampled_from(sorted(rule.arguments)), min_size=1,
                                  unique=True)):
            if name != "token":
                values[name] = draw(st.sampled_from(IDS))
            elif draw(st.booleans()):
                values[name] = draw(st.sampled_from(TOKENS))
            else:
                raw, values[name] = draw(st.binary(min_size=1, max_size=8)), "raw-segment"
    path = rule.build(values, append_unknown=False)[1]
    if raw is not None:
        path = path.replace("raw-segment", urlencode([("", raw)])[1:])
    return path, parse_qsl(urlsplit(url).query)


def _spoiled(data, names: list[str], kind: str) -> dict[str, object]:
    """One or two of the names, each with a value of the kind (none for the address kind)."""
    if kind == ADDRESS or not names:
        return {}
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
    return {name: data.draw(KINDS[kind]) for name in chosen}


def _sweep_get(world: World, endpoint: str) -> None:
    pages = world.pages[endpoint]
    names = sorted(world.query_names.get(endpoint, ()))
    rule = next(world.app.url_map.iter_rules(endpoint))
    # A page that reads no query parameters varies only by its address.
    kinds = _kinds(rule.arguments) if names else _kinds(rule.arguments)[len(KINDS):]

    def sweep(kind: str):
        def example(data):
            role, page = pages[data.draw(st.integers(0, len(pages) - 1))]
            browser = world.browsers[role]
            path, query = data.draw(addresses(world, page, "GET", kind))
            bad = _spoiled(data, names, kind)
            query = urlencode([*((k, v) for k, v in query if k not in bad), *bad.items()])
            url = f"{path}?{query}" if query else path
            _check(world, endpoint, browser, lambda: browser.get(url),
                   f"GET {url[:300]} as {role}")

        return example

    for kind, examples in kinds:
        _search(examples, sweep(kind))


def _sweep_post(world: World, endpoint: str) -> None:
    forms = world.forms[endpoint]
    tokens = {role: csrf_token(world.browsers[role]) for role in {role for role, _ in forms}}
    rule = next(world.app.url_map.iter_rules(endpoint))

    def sweep(kind: str):
        def example(data):
            role, form = forms[data.draw(st.integers(0, len(forms) - 1))]
            browser = world.browsers[role]
            path, query = data.draw(addresses(world, form.action, "POST", kind))
            url = f"{path}?{urlencode(query)}" if query else path
            bad = _spoiled(data, sorted(form.names - {"csrf_token"}) or ["field"], kind)
            sent = [(name, value) for name, value in form.defaults
                    if name not in bad and name != "csrf_token"]
            if form.buttons:
                sent.append(data.draw(st.sampled_from(form.buttons)))
            body = urlencode([("csrf_token", tokens[role]), *sent, *bad.items()])
            _check(world, endpoint, browser, lambda: browser.post(
                url, data=body, content_type="application/x-www-form-urlencoded"),
                f"POST {url[:300]} as {role} {repr(bad)[:300]}")

        return example

    for kind, examples in _kinds(rule.arguments):
        _search(examples, sweep(kind))


def test_no_route_fails_or_half_stores_on_bad_input(world):
    rules = [rule for rule in world.app.url_map.iter_rules() if rule.endpoint != "static"]
    endpoints = {rule.endpoint for rule in rules}
    assert {rule.endpoint for rule in rules if "GET" in rule.methods} <= set(world.pages)
    _unseen_forms(world)
    for endpoint in sorted(endpoints - SKIPPED):
        if endpoint in world.pages:
            _sweep_get(world, endpoint)
        if endpoint in world.forms:
            _sweep_post(world, endpoint)
            if endpoint.startswith(ACCOUNT_ROUTES):
                _restore_staff(world)
    assert world.swept - world.reached == set(), "the sweep was signed out of these routes"
    # Whatever the sweep stored is shown escaped: on the lists, and on the records crawled.
    for pages in world.pages.values():
        role, url = pages[0]
        _open(world.browsers[role], url)


# ---- inputs that once answered with a server error ----

@pytest.mark.parametrize(("url", "status"), [
    ("/clients/9223372036854775808", 404),  # past SQLite's integers, and PostgreSQL's
    ("/clients/2147483648/edit", 404),  # past PostgreSQL's integers
    ("/clients?page=100000000000000000000", 200),
    ("/invoices?page=2147483648", 200),
    ("/invoices/new?client_id=2147483648", 200),
    ("/visits/new?client_id=2147483648&therapist=2147483648", 200),
    ("/schedule?therapist=2147483648", 200),
    ("/schedule?therapist=%C2%B2", 200),  # "²": a digit to str.isdigit(), not to int()
    ("/schedule?date=9999-12-31&view=week", 200),  # the week after is past year 9999
    ("/schedule?date=0001-01-01", 200),  # the day before is before year 1
    ("/admin/audit?before=2147483648&date_to=9999-12-31", 200),
    ("/clients?q=a%00b", 400),  # PostgreSQL can neither store nor compare a NUL
])
def test_addresses_that_once_failed_are_answered(client, signed_in, url, status):
    signed_in(Role.ADMIN)
    assert client.get(url).status_code == status


def test_forms_that_once_failed_say_what_is_wrong(
    client, signed_in, make_client, make_user  # noqa: F811
):
    signed_in(Role.ADMIN)
    settings = {"name": "Harbourview", "currency": "CAD", "invoice_prefix": "INV",
                "page_size": "A4", "default_tax_rate": "NaN"}
    page = post_form(client, "/admin/settings", settings).get_data(as_text=True)
    assert "Enter a rate between 0 and 100." in page
    booking = {"client_id": make_client(), "therapist_id": make_user(Role.THERAPIST).id,
               "service_name": "Facial massage", "day": "0001-01-01", "start": "10:00",
               "minutes": "60"}
    page = post_form(client, "/visits/new", booking).get_data(as_text=True)
    assert "Choose a date between 1900 and 2999." in page
    assert post_form(client, "/visits/new",
                     {**booking, "client_id": "2147483648"}).status_code == 200
    assert post_form(client, "/clients/consent", {"body": "a\x00b"}).status_code == 400
