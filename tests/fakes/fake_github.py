#!/usr/bin/env python3
"""A loopback fake of the parts of GitHub's REST API that pytest-fixer uses.

    fake_github.py SCRIPT.json [TIME_LIMIT_SECONDS]

Binds 127.0.0.1 on a free port and prints the port on the first line of
stdout (the API's base URL is then http://127.0.0.1:PORT, to be given as
GITHUB_API_URL or github_options.api_url). Exits when stdin closes or after
the time limit (default 60 s).

SCRIPT is one JSON object; every key is optional:

  "log": "/path/requests.jsonl"   every request is appended here, one JSON
        object a line: {"server": "api"|"blob" (a /_blobs/ path, on either
        port), "method", "path" (with the
        query), "headers": {...}, "auth": "none"|"expected"|"other",
        "body": parsed JSON, else text, else null}. The Authorization
        header's value is never written: in "headers" it is replaced by
        "<expected>" or "<other>" ("expected": equal to "Bearer TOKEN" or
        "token TOKEN" for the script's "token").
  "token": "ghp_..."             the token "auth" is compared with
  "auth_required": true          API requests without the expected token get
        401 {"message": "Bad credentials"} (the blob host never checks)
  "runs": {"RUN_ID": {
        "jobs": [{"id": 11, "name": "test (3.11)", "conclusion": "failure"}, ...],
        "attempts": {"2": {"jobs": [...]}}}}
        GET /repos/O/R/actions/runs/RUN_ID/jobs and
        GET /repos/O/R/actions/runs/RUN_ID/attempts/N/jobs answer
        {"total_count", "jobs"} one page at a time (?per_page=, default 30,
        capped by "max_per_page"; ?page=, from 1) with a Link header
        (rel="next" while pages remain, rel="last"). A job's "status" is
        "completed" unless given; any other fields given are passed on.
        An unknown run or attempt is 404.
  "max_per_page": 2              the most jobs in one page (GitHub's is 100)
  "logs": {"JOB_ID": "log text"} GET /repos/O/R/actions/jobs/JOB_ID/logs
        answers 302 (with a short body a client must drop) to
        /_blobs/jobs/JOB_ID.txt, which serves the text as
        text/plain (an unknown job is 404 {"message": "Not Found"}).
        A value {"pad": N} serves N bytes of "x".
  "artifacts": {"RUN_ID": [{"id": 5, "name": "junit-3.11",
        "files": {"report.xml": "<testsuites>...", "other.txt": "x"},
        "expired": false}, ...]}
        GET /repos/O/R/actions/runs/RUN_ID/artifacts answers {"total_count",
        "artifacts": [{"id", "name", "expired", "archive_download_url":
        http://127.0.0.1:PORT/repos/O/R/actions/artifacts/ID/zip,
        "size_in_bytes"}]}, paginated as the jobs are (an unknown run is
        404). GET /repos/O/R/actions/artifacts/ID/zip answers 302 to
        /_blobs/artifacts/ID.zip, which serves a zip of "files" built with
        Python's zipfile (deflated; a name may hold '/'). A file's value is
        its text, or {"zeros": N} for N bytes of "0" (a small zip that
        inflates to N bytes). Other options of an artifact:
          "corrupt": true     the blob is garbage bytes, not a zip
          "corrupt": "data"   a zip whose first member's compressed bytes
                              are flipped (its directory is sound)
          "members": N        N more empty members "pad/N.txt"
          "size_in_bytes": N  what the list claims (default: the zip's size)
  "blob_server": "separate"      serve /_blobs/ from a second port instead of
        the API's own (so a redirect changes the port: the Authorization
        header must not follow); "same" is the default
  "pulls": {"next_number": 7, "existing": ["head-branch"]}
        POST /repos/O/R/pulls answers 201 {"number", "html_url"
        (http://127.0.0.1:PORT/O/R/pull/N), "draft" (as sent, default
        false), "title", "body", "head": {"ref"}, "base": {"ref"}, "state":
        "open"}; a head in "existing" (or one already created through the
        fake) is 422 {"message": "Validation Failed", "errors": [{"message":
        "A pull request already exists for O:HEAD."}]}; a body without
        title, head or base is 422 too
        A pull request created here can then be read with GET (below).
  "pull_info": {"7": {"state": "open", "head_sha": "abc...", "head_ref": "feature",
        "head_repo": "o/r", "base_ref": "main", "base_repo": "o/r"}}
        GET /repos/O/R/pulls/N answers GitHub's shape: {"number", "state",
        "html_url" (http://127.0.0.1:PORT/O/R/pull/N), "head": {"sha", "ref",
        "repo": {"full_name", "fork"} or null when "head_repo" is null},
        "base": {"ref", "repo": {"full_name"}}}. Defaults: state "open",
        head_ref "feature", head_repo and base_repo "O/R", base_ref "main",
        head_sha forty "a"s; "fork" is head_repo != base_repo. An unknown
        number is 404.
  "comments": {"7": [{"id": 1, "body": "a remark", "user": "alice"}]}
        the comments of issue or pull request N, held in memory:
        GET /repos/O/R/issues/N/comments lists them as a JSON array, oldest
        first, paginated like the jobs; POST /repos/O/R/issues/N/comments
        {"body"} adds one (201, user "pytest-fixer[bot]", ids from
        "next_comment_id", default 1000); PATCH /repos/O/R/issues/comments/ID
        {"body"} edits one (200; an unknown id is 404). A comment is
        answered as {"id", "body", "html_url"
        (http://127.0.0.1:PORT/O/R/pull/N#issuecomment-ID), "user":
        {"login"}}. A body that is not {"body": string} is 422. An issue
        without comments lists [].
  "workflow_runs": {"o/r": [{"id": 30, "name": "CI", "head_sha": "...",
        "conclusion": "failure", ...}, ...]}
        GET /repos/O/R/actions/runs answers {"total_count", "workflow_runs"}
        in the order given (newest first, as GitHub does), paginated like
        the jobs; ?status=X keeps the runs whose "conclusion" or "status"
        is X. A run's "status" defaults to "completed"; other fields are
        passed on as given (GitHub's: "head_branch", "event", "html_url",
        "pull_requests": [{"number"}], "head_repository": {"full_name"}).
        A repository not listed has no runs.
  "faults": [{"path": "/repos/o/r/actions/jobs/11/logs", "method": "GET",
        "status": 429, "times": 1, ...}, ...]
        the first fault whose "path" equals the request's path (without
        the query; "path_prefix" matches a prefix instead) and whose
        "method" (optional) matches answers in place of the route, "times"
        times (default 1; -1: always), then the route answers. Options:
          "status": 401 | 403 | 404 | 422 | 429 | 500 | ...
          "message": GitHub's "message" (a default per status otherwise)
          "body": a raw body (string) sent as it is, e.g. "not json"
          "retry_after": N               a Retry-After header
          "ratelimit_remaining": N       X-RateLimit-Remaining (403 and 429
                                         default to 0 with X-RateLimit-Reset)
          "ratelimit_reset_in": S        X-RateLimit-Reset = now + S (default 1)
        A 403 without "ratelimit_remaining" and "message" is a rate limit
        (X-RateLimit-Remaining: 0); give "ratelimit_remaining": 5 and a
        message for a plain "forbidden".
  "suite_runs": {"SUITE_ID": [RUN_ID, ...]}
        GET /repos/O/R/actions/runs?check_suite_id=SUITE_ID answers
        {"total_count", "workflow_runs": [{"id": RUN_ID, "check_suite_id",
        "conclusion": "failure"}, ...]}; a suite not listed has no run
        ({"total_count": 0, "workflow_runs": []}, as GitHub answers)
Anything else is 404 {"message": "Not Found"}.
"""
import io
import json
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
SCRIPT = {}
FAULTS = []
CREATED_HEADS = set()
COMMENTS = {}  # issue number (str) -> [comment], from the script's "comments", then edited
STATE = {"api_port": 0, "blob_port": 0, "next_pull": 1, "next_comment": 1000}

DEFAULT_MESSAGES = {
    401: "Bad credentials",
    403: "API rate limit exceeded for 127.0.0.1.",
    404: "Not Found",
    422: "Validation Failed",
    429: "You have exceeded a secondary rate limit.",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
DOCS = "https://docs.github.com/rest"


def log_request(server, method, path, headers, raw):
    if not SCRIPT.get("log"):
        return
    token = SCRIPT.get("token")
    shown = {}
    auth = "none"
    for k, v in headers.items():
        if k.lower() == "authorization":
            auth = "expected" if token and v in ("Bearer " + token, "token " + token) else "other"
            shown[k] = "<%s>" % auth
        else:
            shown[k] = v
    body = None
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
    line = json.dumps({"server": server, "method": method, "path": path, "headers": shown,
                       "auth": auth, "body": body})
    with LOCK:
        with open(SCRIPT["log"], "a", encoding="utf-8") as f:
            f.write(line + "\n")


def take_fault(method, path):
    with LOCK:
        for f in FAULTS:
            if f.get("times", 1) == 0:
                continue
            if "path" in f and f["path"] != path:
                continue
            if "path_prefix" in f and not path.startswith(f["path_prefix"]):
                continue
            if "path" not in f and "path_prefix" not in f:
                continue
            if f.get("method") and f["method"] != method:
                continue
            if f.get("times", 1) > 0:
                f["times"] = f.get("times", 1) - 1
            return dict(f)
    return None


def find_artifact(art_id):
    for arts in SCRIPT.get("artifacts", {}).values():
        for a in arts:
            if str(a.get("id")) == art_id:
                return a
    return None


def artifact_bytes(a):
    """the zip an artifact serves (built once)"""
    with LOCK:
        if "_zip" in a:
            return a["_zip"]
        if a.get("corrupt") is True:
            data = b"PK\x03\x04 this is not a zip archive " + bytes(range(256)) * 4
        else:
            mem = io.BytesIO()
            with zipfile.ZipFile(mem, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, content in a.get("files", {}).items():
                    if isinstance(content, dict):
                        with zf.open(name, "w", force_zip64=True) as w:
                            left = int(content.get("zeros", 0))
                            chunk = b"0" * (1 << 20)
                            while left > 0:
                                w.write(chunk[:min(left, len(chunk))])
                                left -= len(chunk)
                    else:
                        zf.writestr(name, content)
                for i in range(int(a.get("members", 0))):
                    zf.writestr("pad/%d.txt" % i, "")
            data = mem.getvalue()
            if a.get("corrupt") == "data":
                # the local header is 30 bytes, then the name and the extra field
                name_len, extra_len = int.from_bytes(data[26:28], "little"), int.from_bytes(data[28:30], "little")
                start = 30 + name_len + extra_len
                data = data[:start] + bytes(b ^ 0x5A for b in data[start:start + 8]) + data[start + 8:]
        a["_zip"] = data
        return data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name = "api"

    def log_message(self, fmt, *args):  # quiet
        pass

    # ---- answers ----

    def send(self, status, data, ctype="application/json; charset=utf-8", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.close_connection = True

    def send_json(self, status, obj, extra=None):
        self.send(status, json.dumps(obj).encode(), extra=extra)

    def not_found(self):
        self.send_json(404, {"message": "Not Found", "documentation_url": DOCS})

    def base(self, port):
        return "http://127.0.0.1:%d" % port

    # ---- dispatch ----

    def handle_any(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        blob = self.server_name == "blob" or path.startswith("/_blobs/")
        log_request("blob" if blob else "api", method, self.path, self.headers, raw)
        try:
            if blob:
                self.serve_blob(method, path)
                return
            fault = take_fault(method, path)
            if fault:
                self.serve_fault(fault)
                return
            if SCRIPT.get("auth_required") and not self.auth_ok():
                self.send_json(401, {"message": "Bad credentials", "documentation_url": DOCS})
                return
            self.route(method, path, query, raw)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def auth_ok(self):
        token = SCRIPT.get("token")
        v = self.headers.get("Authorization")
        return bool(token) and v in ("Bearer " + token, "token " + token)

    def serve_fault(self, f):
        status = int(f.get("status", 500))
        extra = {}
        if "retry_after" in f:
            extra["Retry-After"] = str(f["retry_after"])
        limited = status == 429 or (status == 403 and "message" not in f)
        remaining = f.get("ratelimit_remaining", 0 if limited else None)
        if remaining is not None:
            extra["X-RateLimit-Limit"] = "60"
            extra["X-RateLimit-Remaining"] = str(remaining)
            extra["X-RateLimit-Reset"] = str(int(time.time() + float(f.get("ratelimit_reset_in", 1))))
        if "body" in f:
            self.send(status, f["body"].encode(), extra=extra)
            return
        msg = f.get("message", DEFAULT_MESSAGES.get(status, "fake_github: status %d" % status))
        obj = {"message": msg, "documentation_url": DOCS}
        if "errors" in f:
            obj["errors"] = f["errors"]
        self.send_json(status, obj, extra)

    def route(self, method, path, query, raw):
        seg = path.strip("/").split("/")
        # /repos/O/R/actions/runs/ID/jobs, /repos/O/R/actions/runs/ID/attempts/N/jobs
        if method == "GET" and len(seg) in (7, 9) and seg[0] == "repos" and seg[3:5] == ["actions", "runs"] \
                and seg[-1] == "jobs" and (len(seg) == 7 or seg[6] == "attempts"):
            self.serve_jobs(path, seg, query)
            return
        # /repos/O/R/actions/jobs/ID/logs
        if method == "GET" and len(seg) == 7 and seg[0] == "repos" and seg[3:5] == ["actions", "jobs"] \
                and seg[6] == "logs":
            if seg[5] not in SCRIPT.get("logs", {}):
                self.not_found()
                return
            port = STATE["blob_port"] or STATE["api_port"]
            # a body, as some servers send with a redirect: the client must drop it
            self.send(302, b"redirecting\n", ctype="text/plain",
                      extra={"Location": "%s/_blobs/jobs/%s.txt" % (self.base(port), seg[5])})
            return
        # /repos/O/R/actions/runs/ID/artifacts
        if method == "GET" and len(seg) == 7 and seg[0] == "repos" and seg[3:5] == ["actions", "runs"] \
                and seg[6] == "artifacts":
            self.serve_artifacts(path, seg, query)
            return
        # /repos/O/R/actions/artifacts/ID/zip
        if method == "GET" and len(seg) == 7 and seg[0] == "repos" and seg[3:5] == ["actions", "artifacts"] \
                and seg[6] == "zip":
            if find_artifact(seg[5]) is None:
                self.not_found()
                return
            port = STATE["blob_port"] or STATE["api_port"]
            self.send(302, b"redirecting\n", ctype="text/plain",
                      extra={"Location": "%s/_blobs/artifacts/%s.zip" % (self.base(port), seg[5])})
            return
        # /repos/O/R/actions/runs?check_suite_id=ID
        if method == "GET" and len(seg) == 5 and seg[0] == "repos" and seg[3:5] == ["actions", "runs"] \
                and "check_suite_id" in query:
            suite = query["check_suite_id"][0]
            runs = [{"id": r, "check_suite_id": int(suite) if suite.isdigit() else suite,
                     "conclusion": "failure"} for r in SCRIPT.get("suite_runs", {}).get(suite, [])]
            self.send_json(200, {"total_count": len(runs), "workflow_runs": runs})
            return
        if method == "POST" and len(seg) == 4 and seg[0] == "repos" and seg[3] == "pulls":
            self.serve_pull(seg[1], seg[2], raw)
            return
        # /repos/O/R/pulls/N
        if method == "GET" and len(seg) == 5 and seg[0] == "repos" and seg[3] == "pulls":
            self.serve_pull_info(seg[1], seg[2], seg[4])
            return
        # /repos/O/R/issues/N/comments
        if method in ("GET", "POST") and len(seg) == 6 and seg[0] == "repos" and seg[3] == "issues" \
                and seg[5] == "comments":
            self.serve_comments(method, path, seg, query, raw)
            return
        # /repos/O/R/issues/comments/ID
        if method == "PATCH" and len(seg) == 6 and seg[0] == "repos" and seg[3:5] == ["issues", "comments"]:
            self.edit_comment(seg, raw)
            return
        # /repos/O/R/actions/runs
        if method == "GET" and len(seg) == 5 and seg[0] == "repos" and seg[3:5] == ["actions", "runs"]:
            self.serve_runs(path, seg, query)
            return
        self.not_found()

    def serve_pull_info(self, owner, repo, number):
        info = SCRIPT.get("pull_info", {}).get(number)
        if info is None or not number.isdigit():
            self.not_found()
            return
        full = "%s/%s" % (owner, repo)
        head_repo = info.get("head_repo", full)
        base_repo = info.get("base_repo", full)
        self.send_json(200, {
            "number": int(number), "state": info.get("state", "open"),
            "html_url": "%s/%s/%s/pull/%s" % (self.base(STATE["api_port"]), owner, repo, number),
            "head": {"sha": info.get("head_sha", "a" * 40), "ref": info.get("head_ref", "feature"),
                     "repo": None if head_repo is None else
                     {"full_name": head_repo, "fork": head_repo != base_repo}},
            "base": {"ref": info.get("base_ref", "main"), "repo": {"full_name": base_repo}}})

    def comment_json(self, owner, repo, number, c):
        return {"id": c["id"], "body": c["body"], "user": {"login": c["user"]},
                "html_url": "%s/%s/%s/pull/%s#issuecomment-%d"
                % (self.base(STATE["api_port"]), owner, repo, number, c["id"])}

    def comment_body(self, raw):
        """the "body" of a comment request, or None after a 422"""
        try:
            req = json.loads(raw)
        except ValueError:
            req = None
        if not isinstance(req, dict) or not isinstance(req.get("body"), str):
            self.send_json(422, {"message": "Validation Failed",
                                 "errors": [{"resource": "IssueComment", "code": "missing_field",
                                             "field": "body"}]})
            return None
        return req["body"]

    def serve_comments(self, method, path, seg, query, raw):
        owner, repo, number = seg[1], seg[2], seg[4]
        if method == "POST":
            body = self.comment_body(raw)
            if body is None:
                return
            with LOCK:
                c = {"id": STATE["next_comment"], "body": body, "user": "pytest-fixer[bot]",
                     "number": number}
                STATE["next_comment"] += 1
                COMMENTS.setdefault(number, []).append(c)
            self.send_json(201, self.comment_json(owner, repo, number, c))
            return
        paging = self.paging(query)
        if paging is None:
            return
        per_page, page = paging
        with LOCK:
            all_ = list(COMMENTS.get(number, []))
        out = [self.comment_json(owner, repo, number, c)
               for c in all_[(page - 1) * per_page:page * per_page]]
        self.send_json(200, out, self.page_links(path, per_page, page, len(all_)))

    def edit_comment(self, seg, raw):
        body = self.comment_body(raw)
        if body is None:
            return
        with LOCK:
            found = None
            for number, comments in COMMENTS.items():
                for c in comments:
                    if str(c["id"]) == seg[5]:
                        c["body"] = body
                        found = c
        if found is None:
            self.not_found()
            return
        self.send_json(200, self.comment_json(seg[1], seg[2], found["number"], found))

    def serve_runs(self, path, seg, query):
        runs = SCRIPT.get("workflow_runs", {}).get("%s/%s" % (seg[1], seg[2]), [])
        status = query.get("status", [None])[0]
        if status:
            runs = [r for r in runs if status in (r.get("conclusion"), r.get("status", "completed"))]
        paging = self.paging(query)
        if paging is None:
            return
        per_page, page = paging
        out = []
        for r in runs[(page - 1) * per_page:page * per_page]:
            o = {"status": "completed"}
            o.update(r)
            out.append(o)
        full_path = path + ("?status=%s" % status if status else "")
        self.send_json(200, {"total_count": len(runs), "workflow_runs": out},
                       self.page_links(full_path, per_page, page, len(runs)))

    def serve_jobs(self, path, seg, query):
        run = SCRIPT.get("runs", {}).get(seg[5])
        if run is not None and len(seg) == 9:
            run = run.get("attempts", {}).get(seg[7])
        if run is None:
            self.not_found()
            return
        jobs = run.get("jobs", [])
        paging = self.paging(query)
        if paging is None:
            return
        per_page, page = paging
        chunk = jobs[(page - 1) * per_page:page * per_page]
        out = []
        for j in chunk:
            o = {"run_id": int(seg[5]), "status": "completed", "steps": []}
            o.update(j)
            out.append(o)
        self.send_json(200, {"total_count": len(jobs), "jobs": out},
                       self.page_links(path, per_page, page, len(jobs)))

    def paging(self, query):
        """(per_page, page) from the query, capped like GitHub's; None after a 422."""
        try:
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            self.send_json(422, {"message": "Validation Failed"})
            return None
        return max(1, min(per_page, 100, int(SCRIPT.get("max_per_page", 100)))), max(page, 1)

    def page_links(self, path, per_page, page, total):
        """GitHub's Link header: rel="next" while pages remain, and rel="last"."""
        last = max(1, (total + per_page - 1) // per_page)
        url = "%s%s%sper_page=%d&page=%%d" % (self.base(STATE["api_port"]), path,
                                               "&" if "?" in path else "?", per_page)
        links = []
        if page < last:
            links.append('<%s>; rel="next"' % (url % (page + 1)))
        links.append('<%s>; rel="last"' % (url % last))
        return {"Link": ", ".join(links)}

    def serve_artifacts(self, path, seg, query):
        arts = SCRIPT.get("artifacts", {}).get(seg[5])
        if arts is None:
            self.not_found()
            return
        paging = self.paging(query)
        if paging is None:
            return
        per_page, page = paging
        out = []
        for a in arts[(page - 1) * per_page:page * per_page]:
            size = a.get("size_in_bytes")
            if size is None:
                size = len(artifact_bytes(a))
            out.append({"id": a["id"], "name": a.get("name", ""), "expired": bool(a.get("expired", False)),
                        "size_in_bytes": size,
                        "archive_download_url": "%s/repos/%s/%s/actions/artifacts/%s/zip"
                        % (self.base(STATE["api_port"]), seg[1], seg[2], a["id"])})
        self.send_json(200, {"total_count": len(arts), "artifacts": out},
                       self.page_links(path, per_page, page, len(arts)))

    def serve_pull(self, owner, repo, raw):
        try:
            req = json.loads(raw)
        except ValueError:
            self.send_json(400, {"message": "Problems parsing JSON"})
            return
        if not isinstance(req, dict) or not all(isinstance(req.get(k), str) for k in ("title", "head", "base")):
            self.send_json(422, {"message": "Validation Failed",
                                 "errors": [{"resource": "PullRequest", "code": "missing_field"}]})
            return
        pulls = SCRIPT.get("pulls", {})
        head = req["head"]
        with LOCK:
            exists = head in pulls.get("existing", []) or head in CREATED_HEADS
            if not exists:
                CREATED_HEADS.add(head)
                number = STATE["next_pull"]
                STATE["next_pull"] += 1
        if exists:
            self.send_json(422, {"message": "Validation Failed", "documentation_url": DOCS,
                                 "errors": [{"resource": "PullRequest", "code": "custom",
                                             "message": "A pull request already exists for %s:%s."
                                             % (owner, head)}]})
            return
        with LOCK:
            SCRIPT.setdefault("pull_info", {})[str(number)] = {
                "head_ref": head.split(":")[-1], "base_ref": req["base"], "head_sha": "b" * 40}
        self.send_json(201, {"number": number,
                             "html_url": "%s/%s/%s/pull/%d" % (self.base(STATE["api_port"]),
                                                               owner, repo, number),
                             "state": "open", "draft": bool(req.get("draft", False)),
                             "title": req["title"], "body": req.get("body"),
                             "head": {"ref": head}, "base": {"ref": req["base"]}})

    def serve_blob(self, method, path):
        aprefix = "/_blobs/artifacts/"
        if method == "GET" and path.startswith(aprefix) and path.endswith(".zip"):
            a = find_artifact(path[len(aprefix):-4])
            if a is None:
                self.not_found()
                return
            self.send(200, artifact_bytes(a), ctype="application/zip")
            return
        prefix = "/_blobs/jobs/"
        if method != "GET" or not path.startswith(prefix) or not path.endswith(".txt"):
            self.not_found()
            return
        text = SCRIPT.get("logs", {}).get(path[len(prefix):-4])
        if text is None:
            self.not_found()
            return
        if isinstance(text, dict):
            self.send_padding(int(text.get("pad", 0)))
            return
        self.send(200, text.encode("utf-8"), ctype="text/plain")

    def send_padding(self, size):
        """`size` bytes of "x", announced first and written a MiB at a time, so that
        a client refusing the size hears it at once (the client may hang up)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(size))
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"x" * (1 << 20)
        try:
            while size > 0:
                self.wfile.write(chunk[:size])
                size -= len(chunk)
        except OSError:
            pass
        self.close_connection = True


class BlobHandler(Handler):
    server_name = "blob"


def serve_until_stdin_closes(servers, limit):
    """Serve each server in a thread, print the first one's port on stdout's
    first line, and stop them all when stdin closes or after `limit` seconds
    (the loopback fakes' common life, tests/unit/fake_server.h's protocol)."""
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(servers[0].server_address[1], flush=True)
    done = threading.Event()

    def wait_stdin():
        try:
            sys.stdin.read()
        finally:
            done.set()
    threading.Thread(target=wait_stdin, daemon=True).start()
    done.wait(limit)
    for s in servers:
        s.shutdown()


def main():
    global SCRIPT, FAULTS
    with open(sys.argv[1], encoding="utf-8") as f:
        SCRIPT = json.load(f)
    FAULTS = [dict(x) for x in SCRIPT.get("faults", [])]
    STATE["next_pull"] = int(SCRIPT.get("pulls", {}).get("next_number", 1))
    STATE["next_comment"] = int(SCRIPT.get("next_comment_id", 1000))
    for number, comments in SCRIPT.get("comments", {}).items():
        COMMENTS[str(number)] = [{"id": int(c["id"]), "body": c.get("body", ""),
                                  "user": c.get("user", "someone"), "number": str(number)}
                                 for c in comments]
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0

    api = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.daemon_threads = True
    STATE["api_port"] = api.server_address[1]
    servers = [api]
    if SCRIPT.get("blob_server") == "separate":
        blob = ThreadingHTTPServer(("127.0.0.1", 0), BlobHandler)
        blob.daemon_threads = True
        STATE["blob_port"] = blob.server_address[1]
        servers.append(blob)
    serve_until_stdin_closes(servers, limit)


if __name__ == "__main__":
    main()
