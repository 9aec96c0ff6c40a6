"""notes: a small HTTP service that keeps text notes in Redis.

GET /health answers OK when Redis answers; GET /version the VERSION it was built with;
PUT /notes/<name> stores the request body; GET /notes/<name> returns it.
"""
import os
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 16 * 1024
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HERE = os.path.dirname(os.path.abspath(__file__))


def version():
    with open(os.path.join(HERE, "VERSION"), encoding="utf-8") as f:
        return f.read().strip()


def handle(store, method, path, body):
    """The answer to one request, as (status, text): the service without its HTTP server."""
    if path == "/health" and method == "GET":
        store.ping()
        return 200, "OK"
    if path == "/version" and method == "GET":
        return 200, version()
    if path.startswith("/notes/"):
        name = path[len("/notes/"):]
        if not NAME.match(name):
            return 400, "a note's name is 1 to 64 letters, digits, _ or -"
        if method == "PUT":
            if len(body) > MAX_BODY:
                return 413, "note too large"
            store.set(f"note:{name}", body)
            return 200, "Stored"
        if method == "GET":
            value = store.get(f"note:{name}")
            return (200, value.decode("utf-8")) if value is not None else (404, "No such note")
    return 404, "Not found"


def make_handler(store):
    class Handler(BaseHTTPRequestHandler):
        def answer(self, method):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(min(length, MAX_BODY + 1)) if length else b""
            try:
                status, text = handle(store, method, self.path.split("?")[0], body)
            except Exception as err:  # Redis away: not healthy, and no stack trace to the client
                print(f"error: {err}", file=sys.stderr)
                status, text = 503, "Service unavailable"
            data = f"{text}\n".encode("utf-8")
            self.send_response(status)
            self.send_header("content-type", "text/plain; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.answer("GET")

        def do_PUT(self):
            self.answer("PUT")

        def log_message(self, fmt, *args):
            pass

    return Handler


def main():
    import redis  # Debian's python3-redis

    store = redis.Redis(host=os.environ.get("REDIS_HOST", "redis"), port=int(os.environ.get("REDIS_PORT", "6379")), socket_timeout=2)
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), make_handler(store))
    server.daemon_threads = True
    # a stop lets the answers under way finish: swarm and Rancher send SIGTERM before they kill
    stop = lambda *_: threading.Thread(target=server.shutdown).start()  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"notes {version()} listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
