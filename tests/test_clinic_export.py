"""`flask export clinic DIR`: every table as CSV and JSON, so the clinic can leave with its
records; no password hash, authenticator secret or token hash goes with them."""

import csv
import hashlib
import io
import json

from sqlalchemy import func, select

from clinic.aftercare import handouts
from clinic.aftercare.models import Handout, HandoutLink
from clinic.audit.models import AuditEvent
from clinic.auth.models import RecoveryCode, Role, StaffSession, User
from clinic.clients import services as client_services
from clinic.clients.models import Client, IntakeLink
from clinic.extensions import db
from clinic.invoices.models import InvoiceLine
from tests.clients.records import (  # noqa: F401 (fixtures)
    full_record,
    make_client,
    make_intake,
    make_invoice,
    make_visit,
    standard_library,
)
from tests.conftest import sign_in

FORMULA_NAME = "=HYPERLINK(\"http://evil.example\",\"Click\")"


def run_export(app, directory):
    return app.test_cli_runner().invoke(args=["export", "clinic", str(directory)])


def csv_rows(directory, table: str) -> list[dict]:
    with (directory / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def json_rows(directory, table: str) -> list[dict]:
    return json.loads((directory / f"{table}.json").read_text(encoding="utf-8"))


def secrets_in_the_database(app) -> list[str]:
    with app.app_context():
        found = []
        for column in (User.password_hash, User.totp_secret, StaffSession.token_hash,
                       RecoveryCode.code_hash, IntakeLink.token_hash, HandoutLink.token_hash):
            values = [value for value in db.session.scalars(select(column)) if value]
            assert values, f"the test needs a {column} to look for"
            found += values
        return found


def test_every_table_is_written_as_csv_and_json_without_a_single_secret(
    app, client, make_user, make_client, full_record, tmp_path  # noqa: F811
):
    jane = full_record("Jane", "Fairweather", "Marigold")
    guarded = make_client(first_name="Eve", last_name=FORMULA_NAME)
    admin = make_user(Role.ADMIN)
    sign_in(client, admin)  # a live session, whose token hash must stay behind
    with app.app_context():
        user = db.session.get(User, admin.id)
        user.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        db.session.add(RecoveryCode(user_id=user.id,
                                    code_hash=hashlib.sha256(b"ABCD-EFGH").hexdigest()))
        db.session.commit()
        client_services.create_link(db.session.get(Client, jane.client_id), admin.id)
        handouts.create_link(db.session.scalar(select(Handout)), user)
        table_rows = {table.name: db.session.scalar(select(func.count()).select_from(table))
                      for table in db.metadata.sorted_tables}
        stored_pdf = db.session.scalar(select(Handout.pdf))
        handout_id = db.session.scalar(select(Handout.id))
    secrets = secrets_in_the_database(app)

    directory = tmp_path / "clinic-export"
    result = run_export(app, directory)
    assert result.exit_code == 0, result.output
    assert "Exported " in result.output

    manifest = json.loads((directory / "manifest.json").read_text())
    listed = {table["name"]: table["rows"] for table in manifest["tables"]}
    left_out = {"staff_session", "staff_recovery_code"}
    assert listed == {name: rows for name, rows in table_rows.items() if name not in left_out}
    assert manifest["schema_revision"]
    for name in listed:
        assert len(csv_rows(directory, name)) == len(json_rows(directory, name)) == listed[name]
    assert not any((directory / f"{name}.csv").exists() for name in left_out)

    everything = b"".join(path.read_bytes() for path in directory.rglob("*") if path.is_file())
    for secret in secrets:
        assert secret.encode() not in everything
    (staff,) = [row for row in csv_rows(directory, "staff_user") if row["id"] == str(admin.id)]
    assert "password_hash" not in staff and "totp_secret" not in staff
    assert "token_hash" not in json_rows(directory, "intake_link")[0]

    # Faithful in JSON; in CSV, the formula a "name" holds is shown, never run.
    (eve_json,) = [row for row in json_rows(directory, "client") if row["id"] == guarded]
    (eve_csv,) = [row for row in csv_rows(directory, "client") if row["id"] == str(guarded)]
    assert eve_json["last_name"] == FORMULA_NAME
    assert eve_csv["last_name"] == "'" + FORMULA_NAME
    (line,) = json_rows(directory, "invoice_line")[:1]
    assert (line["unit_price"], line["tax_rate"]) == ("95.50", "15.000")
    assert csv_rows(directory, "invoice_line")[0]["unit_price"] == "95.50"
    note = json_rows(directory, "treatment_note")[0]
    assert note["assessment"] == "Marigold release, moderate pressure."
    assert note["signed_at"].endswith("+00:00")
    technique = json_rows(directory, "technique")[0]
    assert isinstance(technique["steps"], list)
    assert json.loads(csv_rows(directory, "technique")[0]["steps"]) == technique["steps"]

    (handout,) = json_rows(directory, "handout")
    assert handout["pdf"] == f"files/handout-pdf-{handout_id}.pdf"
    assert (directory / handout["pdf"]).read_bytes() == stored_pdf

    with app.app_context():
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "clinic.exported"))
        assert json.loads(event.detail)["rows"] == sum(listed.values())
        assert db.session.scalar(select(func.count()).select_from(InvoiceLine)) == 1


def test_an_export_never_writes_into_a_directory_that_holds_files(app, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = run_export(app, tmp_path)
    assert result.exit_code != 0
    assert "is not an empty directory" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["keep.txt"]


def test_csv_and_json_agree_cell_for_cell_on_plain_values(app, make_client, tmp_path):  # noqa: F811
    make_client(first_name="Zoë", last_name="O'Brien", address="1 Quay\nHalifax",
                phone="(902) 555-0142")
    directory = tmp_path / "out"
    assert run_export(app, directory).exit_code == 0
    (as_json,) = json_rows(directory, "client")
    (as_csv,) = csv_rows(directory, "client")
    for name, value in as_json.items():
        expected = "" if value is None else str(value).lower() if isinstance(value, bool) else (
            str(value))
        assert as_csv[name] == expected, name
    assert io.StringIO((directory / "client.csv").read_text()).readline().startswith("id,")
