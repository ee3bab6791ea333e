"""Staff management, clinic settings and the audit log, for the admin."""
