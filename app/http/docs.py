"""The API's documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served offline.

FastAPI's own pages load their JavaScript, CSS, favicon (and ReDoc's Google fonts) from CDNs, so
on a network without internet — or behind a proxy that blocks them — they are blank. Here the
same pages (FastAPI's ``get_swagger_ui_html`` / ``get_redoc_html``) point at copies of those files
that this process serves itself, from the ``fastapi-offline`` package's data (Swagger UI is
Apache-2.0, ReDoc and the favicon MIT; the package says so in its metadata). No page names a host:
every URL is a path on the host the page came from.

One file is served changed: ReDoc's side menu always shows Redocly's logo from their CDN (no
ReDoc option turns it off, in 2.x or 3.x), so every reader's browser would call out; its copy
here has an empty image in that URL's place (ReDoc is MIT: changes allowed).

The assets' path is outside the schema gate (``app.http.health``), so the docs work before the
first migration as well as after.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

#: The app's OpenAPI document, which both pages render (FastAPI's default path, kept).
OPENAPI_URL = "/openapi.json"
#: Where the Swagger UI and ReDoc files are served (the package's ``static`` folder).
ASSETS_PATH = "/docs/assets"
_ASSETS_PACKAGE = ("fastapi_offline", "static")
_REDOC_JS = "redoc.standalone.js"
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
#: A transparent 1x1 GIF.
_EMPTY_IMAGE = b"data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


@cache
def redoc_script() -> bytes:
    """The package's ReDoc bundle without the one URL off this host (read once per process)."""
    package, folder = _ASSETS_PACKAGE
    script = files(package).joinpath(folder, _REDOC_JS).read_bytes()
    return script.replace(_REDOC_LOGO, _EMPTY_IMAGE)


def install_docs(app: FastAPI) -> None:
    """``/docs`` and ``/redoc`` on local assets, for an app created with ``openapi_url=OPENAPI_URL``,
    ``docs_url=None`` and ``redoc_url=None`` (FastAPI's CDN pages off)."""

    # Before the mount, which would otherwise answer this path with the unchanged file.
    @app.get(f"{ASSETS_PATH}/{_REDOC_JS}", include_in_schema=False)
    def redoc_js() -> Response:
        return Response(redoc_script(), media_type="text/javascript")

    app.mount(ASSETS_PATH, StaticFiles(packages=[_ASSETS_PACKAGE]), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{app.title} — Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=OPENAPI_URL,
            title=f"{app.title} — ReDoc",
            redoc_js_url=f"{ASSETS_PATH}/{_REDOC_JS}",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
