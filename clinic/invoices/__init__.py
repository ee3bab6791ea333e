"""Services, invoices, payments, credit notes and the day's reports."""
