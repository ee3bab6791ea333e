"""Staff accounts, sign-in, sessions and two-factor."""
