"""What every printed document shares: the clinic's letterhead and the PDF response."""

from clinic.admin.models import ClinicSettings
from clinic.pdf.render import Image


def clinic_letterhead(settings: ClinicSettings) -> dict:
    return {
        "name": settings.name,
        "address_lines": settings.address.splitlines(),
        "phone": settings.phone,
        "email": settings.email,
        "tax_id": settings.tax_id,
        "has_logo": bool(settings.logo_mime),
    }


def logo_image(settings: ClinicSettings) -> dict[str, Image]:
    if not settings.logo_mime:
        return {}
    return {"logo": Image(settings.logo, settings.logo_mime)}


def pdf_response(data: bytes, file_name: str):
    """`file_name` is made by the server, never from what a user typed: it goes in a header."""
    return data, 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'inline; filename="{file_name}"',
        "Cache-Control": "no-store",
    }
