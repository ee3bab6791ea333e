from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.admin.forms import ConfirmForm
from clinic.admin.services import get_settings
from clinic.clients import services as client_services
from clinic.invoices import documents, reports, services
from clinic.invoices.forms import (
    DraftForm,
    LineForm,
    NewInvoiceForm,
    PaymentForm,
    ServiceForm,
    ServiceLineForm,
    VoidForm,
)
from clinic.invoices.services import STATUS_FILTERS
from clinic.paging import PER_PAGE, page_number
from clinic.pdf.documents import pdf_response
from clinic.permissions import can, requires
from clinic.spreadsheets import csv_response
from clinic.validation import ValidationError, apply_to_form, parse_day, whole_number

bp = Blueprint("invoices", __name__)

# The close-out page lists this many of the day's invoices and voids; its PDF and CSV, all.
LISTED_ON_CLOSE_OUT = 20


def _message(error: ValidationError) -> str:
    return error.errors.get("", next(iter(error.errors.values())))


# ---- the service catalogue ----

@bp.get("/services")
@requires("services.manage")
def service_list():
    return render_template("invoices/services.html", services=services.list_services())


@bp.route("/services/new", methods=["GET", "POST"])
@requires("services.manage")
def service_new():
    return _service_form(None)


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@requires("services.manage")
def service_edit(service_id: int):
    return _service_form(services.get_service(service_id))


def _service_form(service):
    form = ServiceForm(obj=service)
    if service is None and request.method == "GET":
        form.tax_rate.data = get_settings().default_tax_rate
    if form.validate_on_submit():
        try:
            saved = services.save_service(form.details(), service)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"Saved {saved.name}.")
            return redirect(url_for("invoices.service_list"))
    return render_template("invoices/service_form.html", form=form, service=service)


# ---- invoices ----

@bp.get("/invoices")
@requires("invoices.read")
def index():
    status = request.args.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    invoices = services.list_invoices(current_user, status,
                                      page_number(request.args.get("page")), PER_PAGE)
    return render_template("invoices/list.html", invoices=invoices, status=status)


@bp.get("/clients/<int:client_id>/invoices")
@requires("invoices.read")
def client_invoices(client_id: int):
    client = client_services.get_client(client_id)
    invoices = services.client_invoices(client.id, current_user, per_page=PER_PAGE,
                                        page=page_number(request.args.get("page")))
    return render_template("clients/related.html", client=client, listing=invoices,
                           noun="invoices")


@bp.route("/invoices/new", methods=["GET", "POST"])
@requires("invoices.manage")
def new():
    client_id = request.args.get("client_id", type=whole_number)
    if client_id is None:
        query = request.args.get("q", "")[:100]
        rows = client_services.search(query, 1).rows if query else []
        return render_template("invoices/pick_client.html", q=query, rows=rows)
    client = client_services.get_client(client_id)
    form = NewInvoiceForm()
    form.set_therapists(services.active_therapists())
    form.set_services(services.list_services(active_only=True))
    if form.validate_on_submit():
        try:
            invoice = services.create_draft(client, form.details(), current_user.id,
                                            service_id=form.service_id.data or None)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash("Draft invoice started. Add lines, then issue it.")
            return redirect(url_for("invoices.show", invoice_id=invoice.id))
    return render_template("invoices/new.html", form=form, client=client)


@bp.post("/visits/<int:visit_id>/invoice")
@requires("invoices.manage")
def from_visit(visit_id: int):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("invoices.index"))
    try:
        invoice, found = services.draft_from_visit(visit_id, current_user.id)
    except ValidationError as error:
        flash(_message(error), "error")
        return redirect(url_for("invoices.index"))
    if found:
        flash("This visit already has an invoice.")
    elif not invoice.lines:
        flash("Draft invoice started. No service in the catalogue has this visit's name: "
              "add the line below.")
    else:
        flash("Draft invoice started from the visit. Check it, then issue it.")
    return redirect(url_for("invoices.show", invoice_id=invoice.id))


def _show(invoice, status: int = 200, **forms):
    """The invoice page; forms given are shown with their errors, the others fresh."""
    active = services.list_services(active_only=True)
    service_form = forms.get("service_form") or ServiceLineForm(formdata=None)
    service_form.set_services(active)
    payment_form = forms.get("payment_form") or PaymentForm(formdata=None)
    if payment_form.amount.data is None and invoice.balance > 0:
        payment_form.amount.data = invoice.balance
    refund_form = forms.get("refund_form") or PaymentForm(formdata=None)
    line_form = forms.get("line_form") or LineForm(formdata=None)
    if line_form.tax_rate.data is None:
        line_form.tax_rate.data = get_settings().default_tax_rate
    context = documents.invoice_page(invoice)
    return render_template(
        "invoices/show.html", invoice=invoice, doc=context,
        services_available=bool(active), service_form=service_form,
        line_form=line_form,
        payment_form=payment_form, refund_form=refund_form,
        refundable=services.refundable(invoice.credit_note) if invoice.credit_note else 0,
        can_manage=can(current_user, "invoices.manage"),
    ), status


@bp.get("/invoices/<int:invoice_id>")
@requires("invoices.read")
def show(invoice_id: int):
    return _show(services.get_invoice(invoice_id, current_user))


@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
@requires("invoices.manage")
def edit(invoice_id: int):
    invoice = services.get_invoice(invoice_id, current_user)
    if not invoice.is_draft:
        flash(services.ISSUED_IS_FINAL, "error")
        return redirect(url_for("invoices.show", invoice_id=invoice.id))
    form = DraftForm(obj=invoice)
    form.set_therapists(services.active_therapists())
    if request.method == "GET":
        form.therapist_id.data = str(invoice.therapist_id or "")
    if form.validate_on_submit():
        try:
            services.update_draft(invoice, form.details())
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash("Saved.")
            return redirect(url_for("invoices.show", invoice_id=invoice.id))
    return render_template("invoices/edit.html", form=form, invoice=invoice)


def _change(invoice_id: int, action, form_class=ConfirmForm, form_name: str | None = None):
    """Run one change on an invoice: back to its page, or the page again with the errors."""
    invoice = services.get_invoice(invoice_id, current_user)
    form = form_class()
    if form_class is ServiceLineForm:
        form.set_services(services.list_services(active_only=True))
    if not form.validate_on_submit():
        if form_name is None:
            return redirect(url_for("invoices.show", invoice_id=invoice.id))
        return _show(invoice, 422, **{form_name: form})
    try:
        message = action(invoice, form)
    except ValidationError as error:
        if form_name is None or set(error.errors) == {""}:
            flash(_message(error), "error")
            return redirect(url_for("invoices.show", invoice_id=invoice.id))
        apply_to_form(form, error)
        return _show(invoice, 422, **{form_name: form})
    if message:
        flash(message)
    return redirect(url_for("invoices.show", invoice_id=invoice.id))


@bp.post("/invoices/<int:invoice_id>/lines/service")
@requires("invoices.manage")
def add_service(invoice_id: int):
    return _change(
        invoice_id,
        lambda invoice, form: services.add_service(invoice, form.selected(), form.quantity.data),
        ServiceLineForm, "service_form",
    )


@bp.post("/invoices/<int:invoice_id>/lines")
@requires("invoices.manage")
def add_line(invoice_id: int):
    return _change(invoice_id, lambda invoice, form: services.add_line(invoice, form.details()),
                   LineForm, "line_form")


@bp.post("/invoices/<int:invoice_id>/lines/<int:line_id>/remove")
@requires("invoices.manage")
def remove_line(invoice_id: int, line_id: int):
    return _change(invoice_id, lambda invoice, form: services.remove_line(invoice, line_id))


@bp.post("/invoices/<int:invoice_id>/issue")
@requires("invoices.manage")
def issue(invoice_id: int):
    def run(invoice, form):
        services.issue(invoice)
        return f"Invoice {invoice.number} is issued."
    return _change(invoice_id, run)


@bp.post("/invoices/<int:invoice_id>/payments")
@requires("invoices.manage")
def pay(invoice_id: int):
    def run(invoice, form):
        payment = services.record_payment(invoice, form.details(), current_user.id)
        paid = "The invoice is paid in full." if invoice.balance == 0 else \
            f"Balance due: {invoice.balance:,.2f}."
        return f"Payment of {payment.amount:,.2f} recorded. {paid}"
    return _change(invoice_id, run, PaymentForm, "payment_form")


@bp.post("/invoices/<int:invoice_id>/refunds")
@requires("invoices.manage")
def refund(invoice_id: int):
    def run(invoice, form):
        if invoice.credit_note is None:
            raise ValidationError({"": "Only a voided invoice can be refunded."})
        refund = services.record_refund(invoice.credit_note, form.details(), current_user.id)
        return f"Refund of {-refund.amount:,.2f} recorded on {invoice.credit_note.number}."
    return _change(invoice_id, run, PaymentForm, "refund_form")


@bp.post("/invoices/<int:invoice_id>/delete")
@requires("invoices.manage")
def delete(invoice_id: int):
    invoice = services.get_invoice(invoice_id, current_user)
    if ConfirmForm().validate_on_submit():
        try:
            services.delete_draft(invoice)
        except ValidationError as error:
            flash(error.errors[""], "error")
            return redirect(url_for("invoices.show", invoice_id=invoice_id))
        flash("Draft deleted.")
    return redirect(url_for("invoices.index"))


@bp.route("/invoices/<int:invoice_id>/void", methods=["GET", "POST"])
@requires("invoices.manage")
def void(invoice_id: int):
    invoice = services.get_invoice(invoice_id, current_user)
    form = VoidForm()
    if form.validate_on_submit():
        try:
            note = services.void(invoice, form.reason.data or "", current_user.id)
        except ValidationError as error:
            if "" in error.errors:
                flash(error.errors[""], "error")
                return redirect(url_for("invoices.show", invoice_id=invoice.id))
            apply_to_form(form, error)
        else:
            flash(f"Invoice {invoice.number} is void. Credit note {note.number} cancels it.")
            return redirect(url_for("invoices.show", invoice_id=invoice.id))
    return render_template("invoices/void.html", form=form, invoice=invoice)


@bp.get("/invoices/<int:invoice_id>.pdf")
@requires("invoices.read")
def pdf(invoice_id: int):
    invoice = services.get_invoice(invoice_id, current_user)
    return pdf_response(*documents.invoice_pdf(invoice))


# ---- reports ----

def _day_report(listed: int = 0):
    return reports.day_report(parse_day(request.args.get("date", "")) or date.today(), listed)


@bp.get("/reports/day")
@requires("reports.day")
def day_report():
    return render_template("invoices/day.html", report=_day_report(LISTED_ON_CLOSE_OUT))


@bp.get("/reports/day.pdf")
@requires("reports.day")
def day_report_pdf():
    report = _day_report()
    return pdf_response(documents.day_report_pdf(report),
                         f"close-out-{report.day.isoformat()}.pdf")


@bp.get("/reports/day.csv")
@requires("reports.day")
def day_report_csv():
    report = _day_report()
    return csv_response(f"close-out-{report.day.isoformat()}.csv",
                        reports.day_report_rows(report))


@bp.get("/reports/revenue")
@requires("reports.revenue")
def revenue():
    start, end, error = reports.revenue_range(request.args.get("start", ""),
                                              request.args.get("end", ""), date.today())
    return render_template("invoices/revenue.html", report=reports.revenue(start, end),
                           error=error)


@bp.get("/reports/outstanding")
@requires("reports.revenue")
def outstanding():
    unpaid = services.unpaid_invoices(PER_PAGE, page_number(request.args.get("page")))
    return render_template("invoices/outstanding.html", unpaid=unpaid)
