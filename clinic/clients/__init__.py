"""Clients, their versioned intake forms, precautions and self-service links."""
