"""Command line: `flask --app wsgi users create`, `flask --app wsgi demo seed`."""

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from clinic import demo
from clinic.admin import services as admin_services
from clinic.auth.models import Role
from clinic.validation import ValidationError

users = AppGroup("users", help="Manage staff accounts.")
demo_group = AppGroup("demo", help="Demo data for trying the app.")


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


def init_app(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(demo_group)
