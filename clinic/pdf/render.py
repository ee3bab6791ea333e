"""The one PDF pipeline: a Jinja template and a plain-dict context in, PDF bytes out.

WeasyPrint may fetch only the app's own static files and the images handed to `render`
(the clinic's logo, kept in the database). Everything else -- file://, http(s) to any host,
data: URLs, redirects -- is refused, so text a client typed can never make the server read
a local file or call another machine, even if it somehow reached the HTML unescaped.
"""

import hashlib
import logging
import mimetypes
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree  # nosec B405

import cssselect2
import weasyprint
from flask import current_app
from weasyprint import CSS, HTML
from weasyprint import css as weasyprint_css
from weasyprint import svg as weasyprint_svg
from weasyprint.css.counters import CounterStyle
from weasyprint.html import UA, UA_FORM_STYLESHEET
from weasyprint.images import SVGImage
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# A base URL on a reserved domain that never resolves: only this fetcher ever answers it.
BASE_URL = "https://clinic.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
IMAGE_PREFIX = BASE_URL + "image/"
PRINT_STYLESHEET = "css/print.css"
OUTPUT_INTENT = "--clinic-srgb"

PAGE_SIZES = {"A4": "A4", "Letter": "letter"}

# Part of every fingerprint. Raise it when a change here, or to the installed fonts, makes the
# same HTML print differently: PDFs stored before are then rendered again when next printed.
RENDER_VERSION = "1"

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


# WeasyPrint's user-agent rules that match every element: each gives every element of a
# document a pseudo-element whose style is built on every render (six an element, about 5 %
# of an invoice), although only list items have markers and no document has footnotes or
# notes (print.css floats nothing to `footnote`). Ours is WeasyPrint's own stylesheet with
# the marker rule kept for list items and the note rules left out; the PDFs are the same.
_UA_EVERY_ELEMENT = {
    "::marker {": "li::marker {",
    "::footnote-call {": None,
    "::footnote-marker {": None,
    "::note-call {": None,
    "::note-marker {": None,
    "::note-callback {": None,
}


@cache
def _user_agent_stylesheet() -> CSS | None:
    """None when this WeasyPrint's stylesheet is not the one the edits were made for: its own
    is then used as it is, a little slower and just as right."""
    lines = UA.splitlines()
    for start, replacement in _UA_EVERY_ELEMENT.items():
        found = [n for n, line in enumerate(lines) if line.startswith(start)]
        if len(found) != 1:
            logger.warning("WeasyPrint's user-agent stylesheet has changed: %r is not one line "
                           "of it; its own stylesheet is used.", start)
            return None
        lines[found[0]] = ("" if replacement is None
                           else lines[found[0]].replace(start, replacement, 1))
    # Its @counter-style rules are read into a CounterStyle of their own: WeasyPrint read
    # them into its own at import, where documents find them, and a second reading there
    # warned in every process that `disc` and `decimal` may not be defined again.
    return CSS(string="\n".join(lines), counter_style=CounterStyle())


# The templates quote every attribute with ", which Jinja escapes in the values it writes.
_BROKEN_ATTRIBUTE = re.compile(r'="[^"]*[\t\n\r]')


def well_formed_tree(html: str) -> ElementTree.Element | None:
    """The document's tree read by expat, or None when WeasyPrint's HTML5 parser must read it.

    The templates write well-formed markup (void elements closed, every table's tbody written
    out, no named entities but XML's own), which expat reads into the tree the HTML5 parser
    would build, in a fiftieth of the time: that parser is pure Python, about 5 % of an
    invoice. A document without its head and body, or with rows straight in a table, is left
    to the HTML5 parser, which adds them; so is one with a line break or tab in an attribute
    (a drawing's description typed in a text area), which XML would turn into a space.
    """
    if _BROKEN_ATTRIBUTE.search(html):
        return None
    try:
        # Our own templates' output with the client's text escaped: no entity declaration can
        # be smuggled in, and expat resolves no external ones.
        root = ElementTree.fromstring(html)  # noqa: S314  # nosec B314
    except ElementTree.ParseError:
        return None
    if [child.tag for child in root] != ["head", "body"] or root.find(".//table/tr") is not None:
        return None
    return root


class _Document(HTML):
    """An HTML document styled by `_user_agent_stylesheet` instead of WeasyPrint's own, read
    by expat when it is well-formed, whose elements take their styles from `computed_styles`
    where an earlier document's were the same (`_SharedStyles`)."""

    def __init__(self, *, string: str, base_url: str, url_fetcher: URLFetcher,
                 computed_styles: dict | None = None):
        self.computed_styles = computed_styles
        root = well_formed_tree(string)
        if root is None:
            super().__init__(string=string, base_url=base_url, url_fetcher=url_fetcher)
            return
        self.base_url = base_url
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms=False):
        ours = _user_agent_stylesheet()
        if ours is None:
            return super()._ua_stylesheets(forms=forms)
        return [ours, *([UA_FORM_STYLESHEET] if forms else [])]


# Most elements of a document are styled by the same rules, under parents styled the same,
# as elements of the documents before it, yet WeasyPrint computes every style afresh for each
# render (a fifth of an invoice), sharing styles only between the elements of one document.
# Ours share them across documents by the test WeasyPrint applies within one: the same
# parent style and the same cascaded declarations. A computed style holds nothing else of
# its document: text and attributes are read from the elements when boxes are built, but
# for the attributes WeasyPrint turns into declarations (lang, id), which the templates
# write as constants (a test keeps it so): no client's data is kept. Bounded all the same.
# WeasyPrint writes into an element's computed style only what is the same for every
# document: a collapsed table's padding, and the body's overflow, visible as print.css
# leaves it (a body or root that hid its overflow would need its style unshared).
SHARED_STYLES_LIMIT = 10_000


class _SharedStyles(weasyprint_css.StyleFor):
    def __init__(self, html, *args, **kwargs):
        self._shared = getattr(html, "computed_styles", None)
        super().__init__(html, *args, **kwargs)

    def set_computed_styles(self, element, parent, root=None, pseudo_type=None,
                            base_url=None, target_collector=None):
        if (self._shared is None or pseudo_type is not None
                or not isinstance(element, ElementTree.Element)):
            super().set_computed_styles(element, parent, root, pseudo_type, base_url,
                                        target_collector)
            return
        parent_style = None if parent is None else self._computed_styles[parent, None]
        # Keyed by value: the root's declarations (its language) are parsed for each document.
        key = (id(parent_style),
               repr(sorted(self._cascaded_styles.get((element, None), {}).items())))
        kept = self._shared.get(key)
        # The parent itself, not only its id: an id may be another object's once it is gone.
        if kept is not None and kept[0] is parent_style:
            style = self._computed_styles[element, None] = kept[1]
            if target_collector and style["anchor"]:
                target_collector.collect_anchor(style["anchor"])
            return
        super().set_computed_styles(element, parent, root, pseudo_type, base_url,
                                    target_collector)
        if len(self._shared) >= SHARED_STYLES_LIMIT:
            self._shared.clear()
        self._shared[key] = (parent_style, self._computed_styles[element, None])


@cache
def _share_styles() -> None:
    if weasyprint.__version__ != "70.0":
        logger.warning("WeasyPrint %s may compute styles otherwise than 70.0, for which "
                       "sharing them between documents was made; they are computed afresh.",
                       weasyprint.__version__)
        return
    weasyprint_css.StyleFor = _SharedStyles


# Our own SVG drawings (the handouts' techniques), read once by `warm_up` and shared by every
# render after it: WeasyPrint otherwise reads each drawing again for every document. Only the
# warm-up fills it, so no client's document is ever kept alive by a drawing it loaded.
_drawings: dict[str, SVGImage] = {}

_draw_svg_path = weasyprint_svg.TAGS["path"]
_drawn_paths: dict[tuple, tuple[list, list]] = {}


def _draw_path(drawing, node, font_size) -> None:
    """WeasyPrint's SVG path, kept once drawn for our own static drawings.

    WeasyPrint parses a path's data on every draw (about 5 % of a handout). The operators a
    path writes depend only on that data, the font size and the drawing's viewport, so those
    of our static drawings are written again as they were; any other SVG (a clinic's logo)
    is drawn by WeasyPrint as ever.
    """
    if not drawing.base_url.startswith(STATIC_PREFIX):
        _draw_svg_path(drawing, node, font_size)
        return
    key = (node.get("d", ""), font_size, drawing.inner_width, drawing.inner_height)
    drawn = _drawn_paths.get(key)
    if drawn is None:
        operators = drawing.stream.stream
        start, vertices = len(operators), len(node.vertices)
        _draw_svg_path(drawing, node, font_size)
        drawn = _drawn_paths[key] = (operators[start:], list(node.vertices)[vertices:])
    else:
        drawing.stream.stream.extend(drawn[0])
        node.vertices.extend(drawn[1])


@cache
def _keep_drawn_paths() -> None:
    if _draw_svg_path.__module__ != "weasyprint.svg.path":
        logger.warning("WeasyPrint's SVG paths are not drawn by the function expected; "
                       "they are parsed on every draw.")
        return
    weasyprint_svg.TAGS["path"] = _draw_path


@dataclass(frozen=True)
class _Styles:
    stylesheets: list[CSS]
    color_profiles: dict
    # The elements' styles computed from these stylesheets, on this page size (`_SharedStyles`).
    computed: dict


# print.css names its colours and font once, as custom properties of :root. WeasyPrint
# resolves each var() again, and validates the declaration around it, for every style that
# uses it (about 2 % of an invoice), so the PDFs' copy has their values written out. That is
# what var() gives every element only while each property is set once, in :root alone, and
# read without a fallback; a stylesheet that does otherwise is parsed as it is.
_ROOT_RULE = re.compile(r"^:root\s*\{([^}]*)\}", re.MULTILINE)
# Not a class name's modifier before a pseudo-element (".technique--drawn::after").
_CUSTOM_PROPERTY = re.compile(r"(?<![\w-])(--[\w-]+)\s*:\s*([^;]+);")
_VAR = re.compile(r"var\(\s*(--[\w-]+)\s*\)")


def custom_properties_written_out(css: str) -> str:
    roots = _ROOT_RULE.findall(css)
    values = dict(_CUSTOM_PROPERTY.findall(roots[0])) if len(roots) == 1 else {}
    read = _VAR.findall(css)
    if (not values or len(_CUSTOM_PROPERTY.findall(css)) != len(values)
            or css.count("var(") != len(read) or not set(read) <= values.keys()):
        logger.warning("%s sets or reads its custom properties in a way written-out values "
                       "would change; WeasyPrint resolves them.", PRINT_STYLESHEET)
        return css
    return _VAR.sub(lambda found: values[found[1]].strip(), css)


@cache
def _styles(static_folder: Path, page_size: str) -> _Styles:
    fetcher = StaticOnlyFetcher(static_folder)
    color_profiles: dict = {}
    css = (static_folder / PRINT_STYLESHEET).read_text(encoding="utf-8")
    shared = CSS(string=custom_properties_written_out(css),
                 base_url=STATIC_PREFIX + PRINT_STYLESHEET, url_fetcher=fetcher,
                 font_config=_font_config(), color_profiles=color_profiles)
    size = CSS(string=f"@page {{ size: {PAGE_SIZES[page_size]}; }}", font_config=_font_config())
    # LittleCMS writes a colour profile out anew, 92 bytes longer, once its tags have been
    # read, and the first PDF's output intent reads the profile's name. Read here, it makes
    # every PDF embed the same profile, a process's first one included (a batch worker's is
    # an invoice).
    for profile in color_profiles.values():
        profile.name  # noqa: B018
    return _Styles([shared, size], color_profiles, {})


@cache
def _stylesheet_digest(static_folder: Path) -> str:
    return hashlib.sha256((static_folder / PRINT_STYLESHEET).read_bytes()).hexdigest()


def fingerprint(
    html: str,
    *,
    page_size: str = "A4",
    images: dict[str, Image] | None = None,
    pdf_variant: str | None = None,
    pdf_tags: bool = False,
) -> str:
    """A digest of everything `html_to_pdf` makes a PDF from: equal fingerprints, equal PDFs.

    The HTML carries the template, its filters and the data; beside it count the print
    stylesheet, the options, the images' bytes, WeasyPrint's version and RENDER_VERSION.
    """
    parts = [RENDER_VERSION, weasyprint.__version__,
             _stylesheet_digest(Path(current_app.static_folder)), page_size, pdf_variant or "",
             str(pdf_tags)]
    for name, image in sorted((images or {}).items()):
        parts += [name, image.mime, hashlib.sha256(image.data).hexdigest()]
    digest = hashlib.sha256("\0".join(parts).encode())
    digest.update(b"\0" + html.encode())
    return digest.hexdigest()


def html_to_pdf(
    html: str,
    *,
    page_size: str = "A4",
    images: dict[str, Image] | None = None,
    pdf_variant: str | None = None,
    pdf_tags: bool = False,
    keep_drawings: bool = False,
) -> bytes:
    """The document's PDF bytes; any failure of the engine is raised as RenderFailed.

    `keep_drawings` (the warm-up's): the static SVG drawings it reads are kept for every
    render after it.
    """
    try:
        return weasyprint_pdf(html, page_size=page_size, images=images,
                              pdf_variant=pdf_variant, pdf_tags=pdf_tags,
                              keep_drawings=keep_drawings)
    except Exception as error:
        # Whatever broke inside WeasyPrint, the caller only needs to know there is no PDF.
        raise RenderFailed(f"The PDF could not be made: {error}") from error


def weasyprint_pdf(
    html: str,
    *,
    page_size: str,
    images: dict[str, Image] | None,
    pdf_variant: str | None,
    pdf_tags: bool,
    keep_drawings: bool = False,
) -> bytes:
    static_folder = Path(current_app.static_folder)
    with _render_lock:
        _keep_drawn_paths()
        _share_styles()
        styles = _styles(static_folder, page_size)
        document = _Document(
            string=html,
            base_url=BASE_URL,
            url_fetcher=StaticOnlyFetcher(static_folder, images),
            computed_styles=styles.computed,
        )
        # WeasyPrint's image cache, keyed by URL; for this render, our drawings are in it.
        images_read = dict(_drawings)
        pdf = document.write_pdf(
            stylesheets=styles.stylesheets,
            font_config=_font_config(),
            color_profiles=styles.color_profiles,
            # print.css's own sRGB profile: WeasyPrint's built-in one leaves its file open.
            output_intent=OUTPUT_INTENT if pdf_variant else None,
            pdf_variant=pdf_variant,
            pdf_tags=pdf_tags,
            cache=images_read,
        )
        if keep_drawings:
            _drawings.update({url: image for url, image in images_read.items()
                              if url.startswith(STATIC_PREFIX) and isinstance(image, SVGImage)})
        return pdf


# The templates' indentation between blocks: HTML ignores it there, but WeasyPrint parses
# each run as a text node and then takes it out of every table row and cell again, or lays
# it out as a line of its own that prints nothing (about 3 % of an invoice). What goes:
# whitespace on either side of a table tag, and before a block's start tag or after its end
# tag. Inside cells it is at the start or end of a line, where it prints nothing; the runs
# kept as typed (`white-space: pre-line`) are inside paragraphs and descriptions, which hold
# no block, so none of their text is touched.
_TABLE_TAG = r"</?(?:table|caption|thead|tbody|tfoot|tr|th|td)\b[^>]*>"
_BLOCK = (r"(?:html|head|meta|title|body|article|section|header|div|figure|p|h[1-6]"
          r"|ul|ol|li|dl|dt|dd)")
_BLOCK_WHITESPACE = re.compile(
    rf"\s+(?={_TABLE_TAG}|<{_BLOCK}\b)|({_TABLE_TAG}|</{_BLOCK}>)\s+")


def document_html(template: str, context: dict) -> str:
    """The document's HTML: `template` (under templates/pdf/) with a plain-dict context.

    Rendered by the template alone: the app's context processors give pages their menu and
    read the clinic's name from the database, which no document prints (1 ms an invoice).
    """
    html = current_app.jinja_env.get_template(template).render(context)
    return _BLOCK_WHITESPACE.sub(r"\1", html)


# The drawings the documents print, under static/: the warm-up reads each, once per process.
DRAWINGS = "img/techniques"

# What the documents print most: the glyphs of each face and size are loaded on first use.
WARM_UP_SAMPLE = ("Ready 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz "
                  ".,;:!?'\"()-/&%+#@ \u2013\u2014\u00b7")


def read_before_fork() -> None:
    """The part of `warm_up` that is plain Python: the PDF templates compiled and the
    user-agent stylesheet read, about 120 ms. For a process about to fork workers, so that
    every worker starts with them; nothing of fontconfig, Pango or cairo is touched, which
    each process builds for itself (`warm_up`). Done again, it only lists the templates."""
    templates = current_app.jinja_env
    for name in templates.list_templates(filter_func=lambda name: name.startswith("pdf/")):
        templates.get_template(name)
    _user_agent_stylesheet()


def warm_up() -> None:
    """Ready this process for its first PDF, so that no user's request pays for it.

    Compiles the PDF templates (`read_before_fork`), then renders a page like the documents
    in each paper size as PDF/A, and once as tagged PDF/UA: that builds the shared font
    configuration, stylesheets and the styles documents share, loads the faces and glyphs the
    documents use, and reads every drawing (kept for all renders after it). Call it once in
    each process, after any fork (fontconfig and cairo state is not shared between processes).
    """
    read_before_fork()
    static_folder = Path(current_app.static_folder)
    drawings = [path.relative_to(static_folder).as_posix()
                for path in sorted(static_folder.glob(f"{DRAWINGS}/*.svg"))]
    html = document_html("pdf/warm_up.html", {"title": "Ready", "sample": WARM_UP_SAMPLE,
                                              "drawings": drawings})
    for page_size in PAGE_SIZES:
        html_to_pdf(html, page_size=page_size, pdf_variant="pdf/a-3b")
    html_to_pdf(html, pdf_variant="pdf/ua-1", keep_drawings=True)


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
    return html_to_pdf(
        document_html(template, context), page_size=page_size, images=images,
        pdf_variant=pdf_variant, pdf_tags=pdf_tags,
    )
