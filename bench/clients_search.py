"""How long the client list and its search take with tens of thousands of clients.

    .venv/bin/python bench/clients_search.py [--clients 50000] [--runs 30] [--database-url URL]

Without --database-url the clients go into a fresh SQLite file that is thrown away after. With
one (PostgreSQL, say), the database is migrated to head, filled, measured and emptied again:
give it a database of its own. Each timing is a whole GET /clients request through the app
(session check, search, page, count, last intakes, template), signed in as reception.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import delete, insert

from bench.seed import clients
from clinic import create_app
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role, StaffSession, User
from clinic.auth.passwords import hash_password
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.types import utcnow

QUERIES = {
    "first page, no search": {},
    "page 1000, no search": {"page": 1000},
    "last name prefix 'smi'": {"q": "smi"},
    "full name 'jane smith'": {"q": "jane smith"},
    "email prefix 'c1234'": {"q": "c1234"},
    "phone ending '555 0142'": {"q": "555 0142"},
    "no match 'zzz'": {"q": "zzz"},
}


def _fill(count: int) -> None:
    batch = []
    for row in clients(random.Random(42), count, utcnow()):  # noqa: S311 (sample data)
        batch.append(row)
        if len(batch) == 5000:
            db.session.execute(insert(Client), batch)
            batch = []
    if batch:
        db.session.execute(insert(Client), batch)
    db.session.add(User(name="Bench Desk", email="bench@clinic.example", role=Role.RECEPTION,
                        password_hash=hash_password("bench-password-1"), active=True))
    db.session.commit()


def _empty() -> None:
    for model in (StaffSession, AuditEvent, Client, User):
        db.session.execute(delete(model))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                          "SESSION_COOKIE_SECURE": False, "ARGON2_MEMORY_COST": 1024,
                          "ARGON2_TIME_COST": 1, "ARGON2_PARALLELISM": 1})
        with app.app_context():
            upgrade()
            _fill(args.clients)
        try:
            _measure(app, args)
        finally:
            with app.app_context():
                _empty()
                db.engine.dispose()


def _measure(app, args) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed = client.post("/login", data={"csrf_token": token, "email": "bench@clinic.example",
                                         "password": "bench-password-1"})
    assert signed.status_code == 302, "bench sign-in failed"
    dialect = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(f"{args.clients} clients, {dialect}, median of {args.runs} requests:")
    for label, params in QUERIES.items():
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get("/clients", query_string=params)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200
        print(f"  {label:<28} {statistics.median(times) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
