"""Command line: `flask --app wsgi users create`, `demo seed`, `audit verify`, `export clinic`,
`backup` and `restore`."""

import os
import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from clinic import backup as backups
from clinic import demo
from clinic import export as clinic_export
from clinic.admin import services as admin_services
from clinic.audit import chain as audit_chain
from clinic.audit import sealed as sealed_records
from clinic.auth import two_factor
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.invoices import batch
from clinic.validation import ValidationError

users = AppGroup("users", help="Manage staff accounts.")
demo_group = AppGroup("demo", help="Demo data for trying the app.")
audit_group = AppGroup("audit", help="Check the audit log and the signed and issued records.")
export_group = AppGroup("export", help="Copy the clinic's records out as plain files.")
invoices_group = AppGroup("invoices", help="Invoice PDFs.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--registration-number", default=None, help="Required for therapists.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email, name, role, registration_number, password_stdin):
    """Create a staff account (the first admin of a new install, for instance)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    details = admin_services.StaffDetails(name, email, role, registration_number)
    try:
        user = admin_services.create_staff(details, password)
    except ValidationError as error:
        for field, message in error.errors.items():
            click.echo(f"{field or 'error'}: {message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Created {user.role} {user.email}.")


@users.command("reencrypt-two-factor")
@click.option("--old-key-stdin", is_flag=True, help="Read the old key from standard input.")
def reencrypt_two_factor(old_key_stdin):
    """After TOTP_ENCRYPTION_KEY (or SECRET_KEY, while that is unset) changed: move the
    authenticator secrets kept under the old key to the new one."""
    if old_key_stdin:
        old_key = sys.stdin.readline().rstrip("\r\n")
    else:
        old_key = click.prompt("The old key", hide_input=True)
    result = two_factor.reencrypt_secrets(old_key)
    click.echo(f"Re-encrypted {result.moved} authenticator secret(s) under the current key.")
    if result.unreadable:
        click.echo("These open with neither key; reset their two-factor sign-in: "
                   + ", ".join(result.unreadable), err=True)
        raise SystemExit(1)


@demo_group.command("seed")
def seed_demo():
    """Create the demo clinic if the database has no staff yet."""
    if demo.seed():
        click.echo("Demo clinic created.")
    elif not demo.is_present():
        click.echo("The database already has staff of its own; no demo data added.")
        return
    click.echo("Demo logins (sign in at /login):")
    for role, email, password in demo.LOGINS:
        click.echo(f"  {role:<10} {email:<30} {password}")


@audit_group.command("verify")
def verify_audit():
    """Check the audit log's hash chain, every signed note and issued invoice's content, and
    what each invoice keeps as paid against its payments."""
    chain = audit_chain.verify()
    if chain.intact:
        click.echo(f"Audit log intact: {chain.events:,} events, every link verified.")
    else:
        click.echo(
            f"Audit log BROKEN at event #{chain.broken_at}: {chain.reason}. "
            f"The {chain.events:,} events before it verify.",
            err=True,
        )
    records = sealed_records.verify()
    counts = ", ".join(f"{count:,} {label}" for label, count in records.checked.items())
    if records.intact:
        click.echo(f"Signed and issued records intact: {counts}, each as it was sealed.")
    else:
        for altered in records.altered:
            click.echo(altered, err=True)
        click.echo(f"{len(records.altered):,} records CHANGED after sealing; checked {counts}.",
                   err=True)
    if not (chain.intact and records.intact):
        raise SystemExit(1)


@export_group.command("clinic")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_clinic(directory: Path):
    """Write every table to DIRECTORY as CSV and JSON, secrets left out (see manifest.json)."""
    try:
        summary = clinic_export.export(directory)
    except clinic_export.ExportError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Exported {summary.tables} tables, {summary.rows:,} rows, to {directory}.")


class ProgressBar:
    """A bar, the count and the rate on one line of standard error, redrawn in place."""

    WIDTH = 30

    def __init__(self, what: str):
        self.what = what
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        filled = self.WIDTH * done // total
        rate = done / max(time.monotonic() - self.started, 1e-6)
        click.echo(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{total:,} "
                   f"{self.what}, {rate:.1f}/s", nl=done == total, err=True)


@invoices_group.command("render")
@click.option("--all", "every", is_flag=True, help="Every issued invoice.")
@click.option("--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1,
              show_default="every core", help="Processes rendering at once.")
@click.option("--force", is_flag=True,
              help="Render again what is stored already, e.g. after new fonts were installed.")
def render_invoices(every: bool, jobs: int, force: bool):
    """Render and store each issued invoice's PDF as it prints next, so printing it is instant.

    A state already stored is skipped: after a letterhead change every invoice has a new
    state, so a plain run renders them all.
    """
    if not every:
        raise click.UsageError("Say --all to render every issued invoice.")
    started = time.monotonic()
    outcome = batch.render_all(jobs=jobs, force=force, progress=ProgressBar("invoices"))
    click.echo(f"Rendered {outcome.rendered:,} of {outcome.invoices:,} issued invoices "
               f"({outcome.invoices - outcome.rendered - len(outcome.failed):,} stored "
               f"already) in {time.monotonic() - started:.1f} s.")
    if outcome.failed:
        raise click.ClickException(
            f"{len(outcome.failed)} could not be rendered (see the log): invoice ids "
            + ", ".join(str(invoice_id) for invoice_id in outcome.failed)
        )


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path):
    """Copy the whole database to PATH while the app keeps running."""
    try:
        backups.backup(db.engine, path)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up to {path} ({path.stat().st_size:,} bytes).")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool):
    """Replace the database with the backup at PATH. Stop the app servers first."""
    if not yes:
        click.confirm("This replaces every record in the database with the backup. Go on?",
                      abort=True)
    try:
        backups.restore(db.engine, path)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored from {path}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(demo_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(export_group)
    app.cli.add_command(invoices_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
