# Examples the rules in ../python.yml must catch (ruleid) and must let pass (ok).
import os
import pickle
import subprocess

import yaml
from flask import Markup, redirect, render_template_string, request, send_file, url_for
from sqlalchemy import text

from clinic.security import is_safe_next


def templates(name):
    # ruleid: no-render-template-string
    return render_template_string("Hello {{ name }}", name=name)


def markup(name):
    # ruleid: no-markup
    return Markup(f"<b>{name}</b>")


def sql(session, table, client_id):
    # ruleid: no-sql-built-from-strings
    session.execute(text(f"SELECT * FROM {table}"))
    # ruleid: no-sql-built-from-strings
    session.execute(text("SELECT * FROM client WHERE id = " + client_id))
    # ruleid: no-sql-built-from-strings
    session.execute(text("SELECT * FROM {}".format(table)))
    # ruleid: no-sql-built-from-strings
    session.execute(text("SELECT * FROM %s" % table))
    # ok: no-sql-built-from-strings
    session.execute(text("SELECT * FROM client WHERE id = :id"), {"id": client_id})


def shell(name):
    # ruleid: no-shell-true
    subprocess.run(f"pg_dump {name}", shell=True)
    # ruleid: no-shell-true
    os.system("pg_dump " + name)
    # ok: no-shell-true
    subprocess.run(["pg_dump", name], check=True)


def next_page():
    target = request.args.get("next")
    # ruleid: no-unchecked-redirect
    return redirect(target)


def back_from_form():
    # ruleid: no-unchecked-redirect
    return redirect(request.form["back"] or url_for("home.index"))


def checked_next_page():
    target = request.args.get("next")
    if not is_safe_next(target):
        target = None
    # ok: no-unchecked-redirect
    return redirect(target or url_for("home.index"))


def checked_inline():
    back = request.form.get("back")
    # ok: no-unchecked-redirect
    return redirect(back if is_safe_next(back) else url_for("home.index"))


def built_here():
    # ok: no-unchecked-redirect
    return redirect(url_for("clients.show", client_id=request.args.get("id")))


def deserialise(data):
    # ruleid: no-unsafe-deserialisation
    pickle.loads(data)
    # ruleid: no-unsafe-deserialisation
    yaml.load(data)
    # ok: no-unsafe-deserialisation
    yaml.load(data, Loader=yaml.SafeLoader)
    # ok: no-unsafe-deserialisation
    yaml.safe_load(data)


def download_from_query():
    # ruleid: no-send-file-from-request
    return send_file(os.path.join("/srv/files", request.args["name"]))


@bp.get("/files/<path:name>")
def download(name):
    # ruleid: no-send-file-from-request
    return send_file(name)


@bp.get("/report.csv")
def report():
    spool = build_report()
    # ok: no-send-file-from-request
    return send_file(spool, mimetype="text/csv", as_attachment=True, download_name="r.csv")
