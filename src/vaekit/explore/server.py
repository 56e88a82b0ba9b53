"""The explore web app (Starlette on uvicorn; the optional extra ``vaekit[explore]``).

The page is plain HTML/CSS/JS shipped in the package (``static/``): no CDN, no build step.
The JSON API validates every input and answers a bad request with HTTP 400 and
``{"error": "<one line>"}``; the server never reads a path a client sends.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from vaekit.errors import ConfigError
from vaekit.explore.session import ExploreError, ExploreSession

MAX_BODY = 1 << 20  # bytes of a JSON request body
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _require() -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ConfigError("vaekit explore needs its web server: pip install '.[explore]' in "
                          "the vaekit checkout"
                          ) from None  # fmt: skip


def _static(name: str) -> bytes:
    return (resources.files("vaekit.explore") / "static" / name).read_bytes()


def create_app(session: ExploreSession) -> Any:
    """The ASGI app serving ``session``'s page and API."""
    _require()
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    def bad(message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=400)

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise ExploreError(f"request body over {MAX_BODY} bytes")
        try:
            data = json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ExploreError("the request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ExploreError("the request body must be a JSON object")
        return data

    def guarded(fn: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await fn(request)
            except ExploreError as e:
                return bad(str(e))

        return endpoint

    async def page(request: Request) -> Response:
        return Response(_static("index.html"), media_type="text/html; charset=utf-8")

    async def script(request: Request) -> Response:
        return Response(_static("app.js"), media_type="text/javascript; charset=utf-8")

    async def meta(request: Request) -> Response:
        return JSONResponse(session.meta())

    async def decode_png(request: Request) -> Response:
        d = await body(request)
        return Response(session.decode_png(d.get("z"), d.get("label")), media_type="image/png")

    async def decode(request: Request) -> Response:
        d = await body(request)
        return JSONResponse(session.decode(d.get("z"), d.get("label")))

    async def example(request: Request) -> Response:
        raw = request.path_params["index"]
        try:
            index = int(raw)  # -1 is an integer: the range check below names the range
        except ValueError:
            raise ExploreError(f"example index must be an integer, got {raw!r}") from None
        return JSONResponse(session.example(index))

    async def interpolate(request: Request) -> Response:
        d = await body(request)
        out = session.interpolate(d.get("a"), d.get("b"), d.get("steps", 8),
                                  d.get("spherical", False))  # fmt: skip
        return JSONResponse({"outputs": out})

    async def samples(request: Request) -> Response:
        d = await body(request)
        return JSONResponse({"outputs": session.samples(d.get("n", 16), d.get("seed", 0),
                                                        d.get("label"))})  # fmt: skip

    routes = [
        Route("/", page), Route("/app.js", script), Route("/api/meta", guarded(meta)),
        Route("/api/decode.png", guarded(decode_png), methods=["POST"]),
        Route("/api/decode", guarded(decode), methods=["POST"]),
        Route("/api/example/{index}", guarded(example)),
        Route("/api/interpolate", guarded(interpolate), methods=["POST"]),
        Route("/api/samples", guarded(samples), methods=["POST"]),
    ]  # fmt: skip
    return Starlette(routes=routes)


def listening_socket(host: str = "127.0.0.1", port: int = 0) -> Any:
    """A socket bound to ``host:port`` for uvicorn, with Nagle's algorithm off.

    Accepted connections inherit the option: without it, a response's headers and body go
    out as two small writes and the second waits for the browser's delayed ACK, about 40 ms
    on every decoded image.
    """
    import socket

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise ConfigError(f"cannot serve on {host}:{port} ({e.strerror or e})") from None
    return sock


def explore(
    run: str | Path,
    host: str = "127.0.0.1",
    port: int = 0,
    split: str | None = None,
    open_browser: bool = False,
) -> None:
    """Serve the explore page of ``run`` until Ctrl-C (``port=0``: a free port).

    Prints the URL; a non-loopback ``host`` prints a warning (anyone who can reach it can
    use the page).
    """
    _require()
    import threading
    import webbrowser

    import uvicorn

    app = create_app(ExploreSession(run, split))
    if host not in LOOPBACK:
        print(f"warning: serving on {host}: anyone who can reach this address can use the "
              "page (the default, 127.0.0.1, keeps it to this machine)",
              file=sys.stderr)  # fmt: skip
    sock = listening_socket(host, port)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{sock.getsockname()[1]}/"
    print(f"vaekit explore: {url}  (Ctrl-C to stop)", file=sys.stderr, flush=True)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(app, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])
