"""The technique library installed through its service, returned as plain ids."""

import pytest

from clinic.aftercare import services
from clinic.aftercare.models import Technique
from clinic.extensions import db


@pytest.fixture
def standard_library(app) -> dict[str, int]:
    """The standard techniques, installed: slug -> id."""
    with app.app_context():
        services.install_standard_techniques()
        return {t.slug: t.id for t in db.session.scalars(db.select(Technique))}
