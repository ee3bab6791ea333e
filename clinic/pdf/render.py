"""The one PDF pipeline: a Jinja template and a plain-dict context in, PDF bytes out.

WeasyPrint may fetch only the app's own static files and the images handed to `render`
(the clinic's logo, kept in the database). Everything else -- file://, http(s) to any host,
data: URLs, redirects -- is refused, so text a client typed can never make the server read
a local file or call another machine, even if it somehow reached the HTML unescaped.
"""

import mimetypes
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

# A base URL on a reserved domain that never resolves: only this fetcher ever answers it.
BASE_URL = "https://clinic.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
IMAGE_PREFIX = BASE_URL + "image/"
PRINT_STYLESHEET = "css/print.css"
OUTPUT_INTENT = "--clinic-srgb"

PAGE_SIZES = {"A4": "A4", "Letter": "letter"}

# WeasyPrint's font configuration and parsed stylesheets are shared by every render in the
# process: building them costs more than laying out a one-page invoice. Renders take turns,
# as they would anyway under the GIL, so the shared objects are never used by two at once.
_render_lock = threading.Lock()


@dataclass(frozen=True)
class Image:
    data: bytes
    mime: str


class RenderFailed(RuntimeError):
    """WeasyPrint could not make the PDF: nothing that depends on it may be kept or noted."""


class FetchRefused(ValueError):
    """A URL outside the app's static files; WeasyPrint leaves the resource out."""


class StaticOnlyFetcher(URLFetcher):
    def __init__(self, static_folder: Path, images: dict[str, Image] | None = None):
        super().__init__(allow_redirects=False)
        self.static_folder = static_folder.resolve()
        self.images = images or {}

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if url.startswith(IMAGE_PREFIX):
            image = self.images.get(unquote(urlsplit(url).path).removeprefix("/image/"))
            if image is None:
                raise FetchRefused(f"no image {url!r} was handed to this document")
            return URLFetcherResponse(url, image.data, {"Content-Type": image.mime})
        if not url.startswith(STATIC_PREFIX):
            raise FetchRefused(f"refused {url!r}: PDFs may use only the app's static files")
        relative = unquote(urlsplit(url).path).removeprefix("/static/")
        path = (self.static_folder / relative).resolve()
        if not path.is_relative_to(self.static_folder) or not path.is_file():
            raise FetchRefused(f"refused {url!r}: not a static file")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})


@cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


@dataclass(frozen=True)
class _Styles:
    stylesheets: list[CSS]
    color_profiles: dict


@cache
def _styles(static_folder: Path, page_size: str) -> _Styles:
    fetcher = StaticOnlyFetcher(static_folder)
    color_profiles: dict = {}
    shared = CSS(url=STATIC_PREFIX + PRINT_STYLESHEET, url_fetcher=fetcher,
                 font_config=_font_config(), color_profiles=color_profiles)
    size = CSS(string=f"@page {{ size: {PAGE_SIZES[page_size]}; }}", font_config=_font_config())
    return _Styles([shared, size], color_profiles)


def html_to_pdf(
    html: str,
    *,
    page_size: str = "A4",
    images: dict[str, Image] | None = None,
    pdf_variant: str | None = None,
    pdf_tags: bool = False,
) -> bytes:
    static_folder = Path(current_app.static_folder)
    with _render_lock:
        styles = _styles(static_folder, page_size)
        document = HTML(
            string=html,
            base_url=BASE_URL,
            url_fetcher=StaticOnlyFetcher(static_folder, images),
        )
        return document.write_pdf(
            stylesheets=styles.stylesheets,
            font_config=_font_config(),
            color_profiles=styles.color_profiles,
            # print.css's own sRGB profile: WeasyPrint's built-in one leaves its file open.
            output_intent=OUTPUT_INTENT if pdf_variant else None,
            pdf_variant=pdf_variant,
            pdf_tags=pdf_tags,
        )


def render(
    template: str,
    context: dict,
    *,
    page_size: str = "A4",
    images: dict[str, Image] | None = None,
    pdf_variant: str | None = None,
    pdf_tags: bool = False,
) -> bytes:
    """Render `template` (under templates/pdf/) with a plain-dict context to PDF bytes.

    `images` are served to the document as `image/<name>`; static files as `static/<path>`.
    Any failure of the engine is raised as RenderFailed.
    """
    html = render_template(template, **context)
    try:
        return html_to_pdf(
            html, page_size=page_size, images=images, pdf_variant=pdf_variant, pdf_tags=pdf_tags
        )
    except Exception as error:
        # Whatever broke inside WeasyPrint, the caller only needs to know there is no PDF.
        raise RenderFailed(f"{template} could not be rendered: {error}") from error
