"""The playground's web app: one page, its static files, and one WebSocket per open page.

Starlette routes ``/`` (the page, its ``<html lang>`` and title in the language the page will choose: ``?lang=``, else
the browser's first, else English), ``/static/liveview.js`` (the live view's module, ``bundle``), ``/static``
(the page's host script and style, shipped in the package) and ``/ws`` (a ``Session``); uvicorn serves them.
At most ``max_sessions`` pages train at once; one more gets a ``busy`` message. A WebSocket whose ``Origin``
is another site is refused, so a page elsewhere cannot drive the playground through the user's browser.
A shared playground (``ServeConfig.shared``: it has a token) answers the page and the WebSocket only with the
token in the query string (``?token=…``) or in the cookie that the page served with it sets (HttpOnly,
SameSite=Strict), which the page's WebSocket sends back: otherwise HTTP 403 and a WebSocket closed with 1008
before it opens. There one client address holds at most
``max_sessions_per_client`` sessions; one more gets a ``busy`` message that says so. The static files hold no
secret and need no token. ``running`` starts the server in a background thread (tests,
benchmarks, notebooks), up once it has made its first run's imports (``warm.warm_up``); ``serve`` runs it in the
foreground until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import functools
import html
import secrets
from collections import Counter
import threading
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import torch
import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from reluscope.errors import ReluscopeError
from reluscope.serve.config import LOCAL_HOSTS, ServeConfig
from reluscope.serve.messages import MAX_MESSAGE, encode
from reluscope.serve.notice import Notice
from reluscope.serve.bundle import bundle, catalog
from reluscope.serve.session import Session, serve_socket
from reluscope.serve.warm import warm_up

STATIC = Path(__file__).parent / "static"
COOKIE = "reluscope-token"  # set by the page served with the token; its WebSocket sends it back
NO_TOKEN = "this playground needs the token of its link: open the link the server printed, with ?token="


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI app for ``config``."""
    sessions: set[Session] = set()  # the open ones: never more than config.max_sessions; shutdown stops them
    per_client: Counter[str] = Counter()  # open sessions by client address

    def allowed(conn) -> bool:
        """The link's ``?token=``, or the cookie that the page with the token set, is the token."""
        if not config.shared:
            return True
        given = [conn.query_params.get("token", ""), conn.cookies.get(COOKIE, "")]
        return any(secrets.compare_digest(g.encode(), config.token.encode()) for g in given)

    async def page(request):
        if not allowed(request):
            return PlainTextResponse(NO_TOKEN, status_code=403)
        response = HTMLResponse(page_html(page_language(request.query_params.get("lang"),
                                                        request.headers.get("accept-language"))))
        if config.shared:  # the page's WebSocket carries it, as Jupyter's pages carry theirs
            response.set_cookie(COOKIE, config.token, httponly=True, samesite="strict")
        return response

    async def module(request):
        return Response(bundle(), media_type="text/javascript")

    async def socket(ws: WebSocket):
        if not (same_origin(ws.headers.get("origin"), ws.headers.get("host")) and allowed(ws)):
            await ws.close(code=1008)
            return
        await ws.accept()
        client = ws.client.host if ws.client else ""
        if len(sessions) >= config.max_sessions:
            busy = Notice(f"the playground is busy: {config.max_sessions} pages are training already; try again in "
                          "a while", "busy_full", n=config.max_sessions)
        elif config.shared and per_client[client] >= config.max_sessions_per_client:
            busy = Notice(f"this computer already has {config.max_sessions_per_client} pages of the playground open, "
                          "as many as one computer may hold; close one to open another", "busy_client",
                          n=config.max_sessions_per_client)
        else:
            busy = None
        if busy is not None:
            await ws.send_text(encode("busy", **busy.fields()))
            await ws.close(code=1013)
            return
        per_client[client] += 1
        try:
            await serve_socket(ws, config.runs_dir, config.idle_timeout, sessions)
        finally:
            per_client[client] -= 1
            if not per_client[client]:
                del per_client[client]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        warm_up()  # beside uvicorn's start; ``running`` waits for it
        yield
        for session in list(sessions):
            await session.close()

    app = Starlette(routes=[Route("/", page), Route("/static/liveview.js", module),
                            Mount("/static", StaticFiles(directory=STATIC), name="static"),
                            WebSocketRoute("/ws", socket)], lifespan=lifespan)
    return app


def page_language(asked: str | None, accept: str | None) -> str:
    """The page's language as its script chooses it (``texts.js``, ``chooseLanguage``): ``asked`` when the catalog
    has it, else the first of the browser's ``Accept-Language``, else English."""
    for code in (asked, (accept or "").split(",")[0].split(";")[0]):
        lang = (code or "")[:2].lower()
        if lang in catalog()["texts"]:
            return lang
    return "en"


@functools.cache
def page_html(lang: str) -> str:
    """``index.html`` with its language and its title (the catalog's) in ``lang``."""
    texts = catalog()["texts"][lang]
    return (STATIC / "index.html").read_text(encoding="utf-8").replace("{{lang}}", lang).replace(
        "{{title}}", html.escape(f"{texts['title']} {texts['subtitle_playground']}"))


def same_origin(origin: str | None, host: str | None) -> bool:
    """True without an ``Origin`` (not a browser) or when it names the host the request was sent to."""
    if origin is None:
        return True
    return host is not None and urlsplit(origin).netloc == host


def make_server(config: ServeConfig) -> uvicorn.Server:
    """The uvicorn server for ``config`` (as ``config.validate()`` returns it). Sets torch to one thread per operation
    for the whole process: the sessions already train in parallel threads, and the small matrices of a playground net
    run 100× slower when two intra-op threads wait for each other on a busy machine (0.05 ms against 12 ms for a
    750×32 Linear). WebSocket compression is off: a frame is mostly binary arrays, which deflate shrinks little at
    1–3 ms of CPU a frame (``benchmarks/serve.py``), a poor trade on the machine's own network."""
    torch.set_num_threads(1)
    return uvicorn.Server(uvicorn.Config(create_app(config), host=config.host, port=config.port,
                                         ws_max_size=MAX_MESSAGE * 4, ws_per_message_deflate=False,
                                         log_level="warning",
                                         timeout_graceful_shutdown=3))


def url_of(server: uvicorn.Server, token: str | None = None) -> str:
    """The page's link: the address the server listens on, with ``?token=`` when it has one."""
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return f"http://{host if ':' not in host else f'[{host}]'}:{port}/" + (f"?token={token}" if token else "")


@contextlib.contextmanager
def running(config: ServeConfig) -> Iterator[str]:
    """Serve ``config`` in a background thread while the ``with`` block runs; yields the page's link (with the
    token of a shared playground)."""
    config = config.validate()
    server = make_server(config)
    thread = threading.Thread(target=server.run, name="reluscope-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ReluscopeError(f"the playground did not start on {config.host}:{config.port}")
        time.sleep(0.02)
    warm_up().wait()  # a page's first run trains and draws at once (``warm.warm_up``)
    try:
        yield url_of(server, config.token)
    finally:
        server.should_exit = True
        thread.join(10)


def serve(config: ServeConfig) -> None:
    """Run the playground until Ctrl-C; prints its link, with the token of a shared playground (and a warning
    when it listens beyond this machine)."""
    if config.host not in LOCAL_HOSTS:
        print(f"warning: listening on {config.host}: anyone who can reach this machine and has the link with its "
              f"token can train networks here and write run directories under {config.runs_dir}", flush=True)
    with running(config) as url:
        print(f"reluscope playground at {url} (Ctrl-C stops it)", flush=True)
        if config.open_browser:
            webbrowser.open(url)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping the playground", flush=True)
