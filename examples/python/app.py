# The Python app of the worker examples: `wsgi` for gunicorn and uWSGI, `asgi` for uvicorn
# and hypercorn. Each answers with the server, its pid and its ringmaster worker id.
import os


def _body(kind):
    return ("hello from %s, pid %d, worker %s\n" % (kind, os.getpid(), os.environ.get("RINGMASTER_WID", "-"))).encode()


def wsgi(environ, start_response):
    body = _body("wsgi")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


async def asgi(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = _body("asgi")
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
