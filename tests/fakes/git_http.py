#!/usr/bin/env python3
"""Git's smart HTTP protocol on loopback, with Basic auth checked: a stand-in
for GitHub's https://github.com/O/R.git that clones and pushes really go to.

    git_http.py SCRIPT.json [TIME_LIMIT_SECONDS]

Binds 127.0.0.1 on a free port and prints the port on the first line of
stdout; the repositories are then http://127.0.0.1:PORT/NAME.git. Exits when
stdin closes or after the time limit (default 120 s).

SCRIPT is one JSON object:

  "root": "/path"       GIT_PROJECT_ROOT: the bare repositories served
  "token": "..."        every request must carry "Authorization: Basic
        base64(x-access-token:TOKEN)"; otherwise 401 with
        WWW-Authenticate: Basic realm="git" (absent or "": no auth asked)
  "log": "/path/requests.jsonl"   one JSON object a line per request:
        {"method", "path" (with the query), "auth": "none"|"expected"|"other",
        "status"}. The Authorization header's value is never written.

Each request runs `git http-backend` as CGI (GIT_HTTP_EXPORT_ALL, REMOTE_USER
x-access-token, http.receivepack on), so fetches and pushes are git's own.
A chunked request body (libgit2 sends pushes so) is decoded first.
"""
import base64
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_github  # noqa: E402  (only its loopback life: serve_until_stdin_closes)

LOCK = threading.Lock()
SCRIPT = {}
USER = "x-access-token"
CGI_TIMEOUT = 60


def log_request(method, path, auth, status):
    if not SCRIPT.get("log"):
        return
    line = json.dumps({"method": method, "path": path, "auth": auth, "status": status})
    with LOCK:
        with open(SCRIPT["log"], "a", encoding="utf-8") as f:
            f.write(line + "\n")


def auth_of(header):
    token = SCRIPT.get("token")
    if not header:
        return "none"
    expected = "Basic " + base64.b64encode(("%s:%s" % (USER, token or "")).encode()).decode()
    return "expected" if token and header.strip() == expected else "other"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self, method):
        auth = auth_of(self.headers.get("Authorization"))
        body = self.read_body() if method == "POST" else b""
        if SCRIPT.get("token") and auth != "expected":
            log_request(method, self.path, auth, 401)
            msg = b"authentication required\n"
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        url = urlsplit(self.path)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": SCRIPT["root"],
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": USER,
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": method,
            "PATH_INFO": url.path,
            "QUERY_STRING": url.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.receivepack",
            "GIT_CONFIG_VALUE_0": "true",
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        proc = subprocess.run(["git", "http-backend"], input=body, env=env,
                              capture_output=True, timeout=CGI_TIMEOUT)
        head, _, payload = proc.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = proc.stdout.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        log_request(method, self.path, auth, status)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass    # the client went away (a worker killed mid-clone): nothing to answer

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


def main():
    global SCRIPT
    with open(sys.argv[1], encoding="utf-8") as f:
        SCRIPT = json.load(f)
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 120.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake_github.serve_until_stdin_closes([server], limit)


if __name__ == "__main__":
    main()
