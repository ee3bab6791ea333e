"""Error pages in the app's layout. Users see a plain explanation, never a stack trace."""

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from clinic.extensions import db
from clinic.pdf.render import RenderFailed

MESSAGES = {
    400: ("Something in that request was not right", "Go back, reload the page and try again."),
    403: ("You do not have access to this page", "Ask the clinic's administrator if you need it."),
    404: ("Page not found", "The page or record does not exist, or its address is mistyped."),
    405: ("That action is not allowed here", "Go back and use the buttons on the page."),
    413: ("That file is too large", "Choose a smaller file and try again."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Something went wrong on our side", "Nothing was changed. Try again in a moment."),
    503: ("The clinic app is not available", "Try again in a moment."),
}

PDF_FAILED = ("The PDF could not be made",
              "Nothing was changed. Try again in a moment; if it keeps failing, tell the "
              "clinic's administrator.")
DATABASE_FAILED = ("The database did not answer",
                   "Nothing was saved. Try again in a moment; if it keeps happening, tell the "
                   "clinic's administrator.")


def _wants_json() -> bool:
    """The note editor's autosave asks for JSON; browsers opening a page ask for HTML."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == \
        "application/json"


def render_error(code: int, detail: str | None = None, title: str | None = None):
    default_title, hint = MESSAGES.get(code, MESSAGES[500])
    title, hint = title or default_title, detail or hint
    if _wants_json():
        return jsonify(error=f"{title}. {hint}"), code
    return render_template("errors/error.html", code=code, title=title, hint=hint), code


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return render_error(error.code)


def _csrf_error(error: CSRFError):
    return render_error(
        400, "The form had expired or was sent from elsewhere. Reload the page and try again."
    )


def _server_error(error: InternalServerError):
    return render_error(500)


def _pdf_failed(error: RenderFailed):
    current_app.logger.error("PDF failed: %s", error, exc_info=error)
    title, hint = PDF_FAILED
    return render_error(503, hint, title)


def _database_failed(error: OperationalError):
    current_app.logger.error("database refused the request: %s", error)
    # The request's transaction is over: everything it wrote goes, not just the failed part.
    db.session.rollback()
    title, hint = DATABASE_FAILED
    try:
        return render_error(503, hint, title)
    except SQLAlchemyError:
        # The page itself needs the database (who is signed in, the menu): say it plainly.
        db.session.rollback()
        return f"{title}. {hint}", 503, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(RenderFailed, _pdf_failed)
    app.register_error_handler(OperationalError, _database_failed)
