"""Visits, the schedule, and SOAP treatment notes with addenda."""
