"""Error pages in the app's layout. Users see a plain explanation, never a stack trace."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

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


def render_error(code: int, detail: str | None = None):
    title, hint = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, hint=detail or hint), code


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


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(HTTPException, _http_error)
