#!/usr/bin/env python3
"""A loopback fake of where notifications go: Telegram's Bot API
sendMessage and a generic JSON webhook receiver.

    fake_hook.py SCRIPT.json [TIME_LIMIT_SECONDS]

Binds 127.0.0.1 on a free port and prints the port on the first line of
stdout (Telegram's base URL is then http://127.0.0.1:PORT, to be given as
TELEGRAM_API_URL; the webhook is any other path on it). Exits when stdin
closes or after the time limit (default 60 s). The conventions are those of
fake_github.py.

SCRIPT is one JSON object; every key is optional:

  "log": "/path/requests.jsonl"   every request is appended here, one JSON
        object a line: {"kind": "telegram"|"webhook"|"other", "method",
        "path", "headers": {...}, "body": parsed JSON, else text, else
        null, "token": "expected"|"other"|null}. A Telegram path is logged
        with its token replaced by "<token>", so the log never holds it.
  "telegram": {"token": "123:abc", "replies": [REPLY, ...]}
        POST /bot<TOKEN>/sendMessage with a JSON body {"chat_id", "text"}:
        a token other than "token" is 401 {"ok": false, "error_code": 401,
        "description": "Unauthorized"}; a body without chat_id or with an
        empty text is 400 ("Bad Request: message text is empty"), a text
        over 4096 characters 400 ("Bad Request: message is too long").
        Otherwise the next scripted REPLY answers (each is used once, in
        order), then 200 {"ok": true, "result": {"message_id": N, "chat":
        {"id"}, "text"}}. A REPLY:
          "status": 200 (default)
          "ok": defaults to status == 200
          "description": Telegram's words (a default per status otherwise)
          "retry_after": N    parameters.retry_after (with a 429 by default,
                              and a Retry-After header of N)
          "body": "raw"       sent as it is instead of the JSON
  "webhook": {"replies": [{"status": 500, "body": "boom"}, ...]}
        POST to any path that is not Telegram's: the next scripted reply
        (used once each, in order; "status" default 200, "body" default
        "ok"), then 200 "ok".
Anything else is 404.
"""
import json
import os
import sys
import threading
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_github  # noqa: E402  (its handler's answers; its own state stays unused)

LOCK = threading.Lock()
SCRIPT = {}
STATE = {"message_id": 1}
REPLIES = {"telegram": [], "webhook": []}
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after %d",
    500: "Internal Server Error",
}


def log_request(entry):
    if not SCRIPT.get("log"):
        return
    with LOCK:
        with open(SCRIPT["log"], "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def next_reply(kind):
    with LOCK:
        if REPLIES[kind]:
            return REPLIES[kind].pop(0)
    return None


class Handler(fake_github.Handler):
    """fake_github's answers (send, send_json, quiet logs, GET/POST/PATCH
    dispatch to handle_any) with this fake's routes"""

    def handle_any(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = self.path
        tg = SCRIPT.get("telegram", {})
        kind, token_state, shown = "other", None, path
        if path.startswith("/bot") and path.endswith("/sendMessage"):
            kind = "telegram"
            token = path[len("/bot"):-len("/sendMessage")]
            token_state = "expected" if token == tg.get("token") else "other"
            shown = "/bot<token>/sendMessage"
        elif method == "POST":
            kind = "webhook"
        log_request({"kind": kind, "method": method, "path": shown,
                     "headers": dict(self.headers.items()), "body": body, "token": token_state})
        try:
            if kind == "telegram" and method == "POST":
                self.telegram(token_state, body)
            elif kind == "webhook":
                self.webhook()
            else:
                self.send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def telegram(self, token_state, body):
        if token_state != "expected":
            self.send_json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        if not isinstance(body, dict) or "chat_id" not in body or not body.get("text"):
            self.send_json(400, {"ok": False, "error_code": 400,
                                 "description": "Bad Request: message text is empty"})
            return
        if len(body["text"]) > 4096:
            self.send_json(400, {"ok": False, "error_code": 400,
                                 "description": "Bad Request: message is too long"})
            return
        r = next_reply("telegram")
        if r is None:
            with LOCK:
                mid = STATE["message_id"]
                STATE["message_id"] += 1
            self.send_json(200, {"ok": True, "result": {"message_id": mid,
                                                        "chat": {"id": body["chat_id"]},
                                                        "text": body["text"]}})
            return
        status = int(r.get("status", 429 if "retry_after" in r else 200))
        extra = {}
        if "retry_after" in r:
            extra["Retry-After"] = str(r["retry_after"])
        if "body" in r:
            self.send(status, r["body"].encode(), extra=extra)
            return
        ok = r.get("ok", status == 200)
        obj = {"ok": ok}
        if not ok:
            desc = r.get("description", DESCRIPTIONS.get(status, "Error"))
            if "%d" in desc:
                desc = desc % int(r.get("retry_after", 1))
            obj.update({"error_code": status, "description": desc})
            if "retry_after" in r:
                obj["parameters"] = {"retry_after": int(r["retry_after"])}
        else:
            obj["result"] = {"message_id": 0}
        self.send_json(status, obj, extra)

    def webhook(self):
        r = next_reply("webhook") or {}
        self.send(int(r.get("status", 200)), r.get("body", "ok").encode(), ctype="text/plain")


def main():
    global SCRIPT
    with open(sys.argv[1], encoding="utf-8") as f:
        SCRIPT = json.load(f)
    REPLIES["telegram"] = list(SCRIPT.get("telegram", {}).get("replies", []))
    REPLIES["webhook"] = list(SCRIPT.get("webhook", {}).get("replies", []))
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake_github.serve_until_stdin_closes([server], limit)


if __name__ == "__main__":
    main()
