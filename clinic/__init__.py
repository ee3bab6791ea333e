"""Clinic management for massage and facial-massage therapists."""

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from flask import Flask, session
from flask.templating import Environment
from werkzeug.middleware.proxy_fix import ProxyFix

from clinic import config


class TemplateEnvironment(Environment):
    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        # No template here has globals of its own. Sharing the environment's dict rather than
        # a ChainMap over it lets each `{% from ... import %}` compare the page's globals with
        # the macro file's in one set operation, not a ChainMap lookup a name.
        return self.globals if not d else super().make_globals(d)


def create_app(overrides: dict | None = None) -> Flask:
    overrides = overrides or {}
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.jinja_environment = TemplateEnvironment
    app.config.update(config.BASE)
    app.config.update(config.from_environment(Path(app.instance_path), overrides))
    app.config.update(overrides)
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"])

    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from clinic import database
    from clinic.audit import journal
    from clinic.auth import services as auth_services
    from clinic.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        database.configure(db.engine)
    journal.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    # Sessions are checked against the staff_session table instead (see auth.models).
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_user(user_id: str):
        return auth_services.session_user(user_id, session.get("sid"))


def register_blueprints(app: Flask) -> None:
    from clinic.admin import routes as admin
    from clinic.aftercare import routes as aftercare
    from clinic.auth import routes as auth
    from clinic.clients import routes as clients
    from clinic.home import routes as home
    from clinic.invoices import routes as invoices
    from clinic.validation import RecordIdConverter
    from clinic.visits import routes as visits

    # Before the first route is added: every <int:...> is then an id the database can hold.
    app.url_map.converters["int"] = RecordIdConverter
    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(clients.bp)
    app.register_blueprint(visits.bp)
    app.register_blueprint(invoices.bp)
    app.register_blueprint(aftercare.bp)


def register_request_hooks(app: Flask) -> None:
    from clinic import database, errors, formatting, navigation, permissions, security, validation
    from clinic.auth import two_factor
    from clinic.extensions import db

    app.before_request(validation.refuse_nul_characters)
    security.init_app(app)
    app.before_request(permissions.enforce)
    app.before_request(two_factor.require_enrolment)
    errors.init_app(app)
    navigation.init_app(app)
    formatting.init_app(app)

    @app.teardown_request
    def end_read_only_transaction(error: BaseException | None) -> None:
        if error is None:
            database.end_read_only_transaction(db.session())


def register_commands(app: Flask) -> None:
    from clinic import cli

    cli.init_app(app)
