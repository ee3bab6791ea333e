"""The app as `make bench` serves it: the product, plus one baseline page that only exists here.

The baseline is what any signed-in page costs at least: the session check, one indexed query
(25 clients in name order) and a 25-row table in the app's layout. Key pages are judged
against its throughput, measured by the same server in the same run.
"""

from flask import render_template
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from clinic import create_app
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.permissions import requires

BASELINE_PATH = "/bench/baseline"
BASELINE_NAME = "bench/baseline.html"

BASELINE_TEMPLATE = """{% extends "base.html" %}
{% block title %}Baseline{% endblock %}
{% block content %}
<table class="table">
  <thead><tr><th scope="col">Name</th><th scope="col">Phone</th></tr></thead>
  <tbody>
  {% for client in clients %}
    <tr><td>{{ client.last_name }}, {{ client.first_name }}</td><td>{{ client.phone }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endblock %}"""


@requires("home")
def baseline():
    clients = db.session.scalars(select(Client).order_by(Client.sort_key).limit(25))
    return render_template(BASELINE_NAME, clients=list(clients))


app = create_app()
# Loaded like the app's own templates, so it is compiled once and cached as theirs are
# (render_template_string would compile it again on every request).
app.jinja_loader = ChoiceLoader([app.jinja_loader, DictLoader({BASELINE_NAME: BASELINE_TEMPLATE})])
app.add_url_rule(BASELINE_PATH, "bench_baseline", baseline)
