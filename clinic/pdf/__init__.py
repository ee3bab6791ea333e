"""PDF documents: Jinja template -> HTML -> WeasyPrint, reaching nothing but static/."""
