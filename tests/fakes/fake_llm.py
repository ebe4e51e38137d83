#!/usr/bin/env python3
"""A loopback fake of the OpenAI chat-completions and Anthropic messages APIs.

    fake_llm.py SCRIPT.json LOG.jsonl [TIME_LIMIT_SECONDS]

Binds 127.0.0.1 on a free port and prints the port on the first line of
stdout. Exits when stdin closes or after the time limit (default 60 s).

SCRIPT is a JSON list of steps, one consumed per request, in order:
  {"status": 200, "content": "text"}      an answer (status defaults to 200)
  {"status": 429, "retry_after": 1}       with a Retry-After header (number or date)
  {"status": 500}                         a server error
  {"sleep": 5, ...}                       wait before answering (client timeouts)
  {"body": "not json"}                    this raw body, as is
  {"pad": 9000000}                        a raw body of that many bytes
  {"retry_after_date": 2}                 Retry-After as an HTTP date that many seconds ahead
  {"truncate": true}                      close the connection in the middle of the body
  {"trickle": 2}                          send the answer one byte every 2 seconds
  {"stream_error": "text"}                streamed: an error event with this message mid-answer
  {"error": "invalid api key", "status": 401}  an error in the protocol's own shape
  "usage": false                          leave the token counts out
  "usage": {"prompt": 12, "completion": 34}  the counts to report (these are the defaults)
  "model": "name"                         the model to name in the answer
  "crlf": true                            end SSE lines with \\r\\n
When the script is used up, every request gets a 500 "script exhausted".

Streaming (SSE, chunked transfer encoding) is used when the request body
asks for it ("stream": true). Every request is appended to LOG as one JSON
line: {"path", "headers", "body"} (body parsed as JSON when it is).
"""
import email.utils
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCRIPT = []
LOCK = threading.Lock()
LOG_PATH = None


def next_step():
    with LOCK:
        if SCRIPT:
            return SCRIPT.pop(0)
    return {"status": 500, "error": "fake_llm: script exhausted"}


def log_request(path, headers, body):
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = body.decode("utf-8", "replace")
    line = json.dumps({"path": path, "headers": dict(headers.items()), "body": parsed})
    with LOCK:
        with open(LOG_PATH, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        log_request(self.path, self.headers, raw)
        path = self.path.split("?")[0]
        if path in ("/chat/completions", "/v1/chat/completions"):
            proto = "openai"
        elif path == "/v1/messages":
            proto = "anthropic"
        else:
            self.send_json(404, {"error": {"message": "no route " + path}})
            return
        try:
            request = json.loads(raw)
        except ValueError:
            request = {}
        step = next_step()
        try:
            self.serve(proto, request, step)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # ---- answers ----

    def send_json(self, status, obj, extra=None, raw=None):
        data = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def serve(self, proto, request, step):
        if step.get("sleep"):
            time.sleep(float(step["sleep"]))
        status = int(step.get("status", 400 if "error" in step else 200))
        extra = {}
        if "retry_after" in step:
            extra["Retry-After"] = str(step["retry_after"])
        if "retry_after_date" in step:
            extra["Retry-After"] = email.utils.formatdate(
                time.time() + float(step["retry_after_date"]), usegmt=True)
        if "pad" in step:
            self.send_json(status, None, extra, raw=b"x" * int(step["pad"]))
            return
        if "body" in step:
            self.send_json(status, None, extra, raw=step["body"].encode())
            return
        if "error" in step or status >= 300:
            msg = step.get("error", "fake_llm: status %d" % status)
            if proto == "openai":
                obj = {"error": {"message": msg, "type": "invalid_request_error"}}
            else:
                obj = {"type": "error", "error": {"type": "api_error", "message": msg}}
            self.send_json(status, obj, extra)
            return
        content = step.get("content", "ok")
        model = step.get("model", request.get("model", "fake-model"))
        usage = step.get("usage", {})
        if usage is not False:
            usage = {"prompt": usage.get("prompt", 12), "completion": usage.get("completion", 34)}
        if request.get("stream"):
            self.stream(proto, content, model, usage, step)
            return
        if proto == "openai":
            obj = {"id": "chatcmpl-fake", "object": "chat.completion", "model": model,
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": content}}]}
            if usage:
                obj["usage"] = {"prompt_tokens": usage["prompt"],
                                "completion_tokens": usage["completion"],
                                "total_tokens": usage["prompt"] + usage["completion"]}
        else:
            obj = {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                   "content": [{"type": "text", "text": content}], "stop_reason": "end_turn"}
            if usage:
                obj["usage"] = {"input_tokens": usage["prompt"],
                                "output_tokens": usage["completion"]}
        data = json.dumps(obj).encode()
        if step.get("trickle"):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(float(step["trickle"]))
            self.close_connection = True
            return
        if step.get("truncate"):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_json(status, obj, extra)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def stream(self, proto, content, model, usage, step):
        eol = "\r\n" if step.get("crlf") else "\n"
        pieces = [content[i:i + 3] for i in range(0, len(content), 3)] or [""]
        events = []
        if proto == "openai":
            for p in pieces:
                events.append((None, {"object": "chat.completion.chunk", "model": model,
                                      "choices": [{"index": 0, "delta": {"content": p}}]}))
            events.append((None, {"object": "chat.completion.chunk", "model": model,
                                  "choices": [{"index": 0, "delta": {},
                                               "finish_reason": "stop"}]}))
            if usage:
                events.append((None, {"object": "chat.completion.chunk", "model": model,
                                      "choices": [],
                                      "usage": {"prompt_tokens": usage["prompt"],
                                                "completion_tokens": usage["completion"]}}))
            events.append((None, "[DONE]"))
        else:
            start = {"type": "message_start",
                     "message": {"id": "msg_fake", "type": "message", "role": "assistant",
                                 "model": model, "content": [],
                                 "usage": {"input_tokens": usage["prompt"] if usage else 0,
                                           "output_tokens": 1}}}
            if not usage:
                del start["message"]["usage"]
            events.append(("message_start", start))
            events.append(("content_block_start", {"type": "content_block_start", "index": 0,
                                                   "content_block": {"type": "text", "text": ""}}))
            events.append(("ping", {"type": "ping"}))
            for p in pieces:
                events.append(("content_block_delta",
                               {"type": "content_block_delta", "index": 0,
                                "delta": {"type": "text_delta", "text": p}}))
            events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
            delta = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}
            if usage:
                delta["usage"] = {"output_tokens": usage["completion"]}
            events.append(("message_delta", delta))
            events.append(("message_stop", {"type": "message_stop"}))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.chunk((": keep-alive" + eol + eol).encode())
        for n, (name, data) in enumerate(events):
            text = ""
            if name:
                text += "event: " + name + eol
            text += "data: " + (data if isinstance(data, str) else json.dumps(data)) + eol + eol
            raw = text.encode()
            if step.get("stream_error") and n == len(events) // 2:
                err = {"message": step["stream_error"], "type": "api_error"}
                text = ("event: error" + eol if proto != "openai" else "") + "data: " + \
                    json.dumps({"type": "error", "error": err}) + eol + eol
                self.chunk(text.encode())
                break
            if step.get("truncate") and n == len(events) // 2:
                self.chunk(raw[: len(raw) // 2])
                self.close_connection = True
                return
            # split every event across two writes, in the middle of a line
            half = len(raw) // 2
            self.chunk(raw[:half])
            time.sleep(0.002)
            self.chunk(raw[half:])
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        self.close_connection = True


def main():
    global SCRIPT, LOG_PATH
    with open(sys.argv[1], encoding="utf-8") as f:
        SCRIPT = json.load(f)
    LOG_PATH = sys.argv[2]
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    threading.Timer(limit, lambda: os._exit(0)).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
