"""The home-technique library and the aftercare handouts built from it."""
