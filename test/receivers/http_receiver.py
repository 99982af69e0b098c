#!/usr/bin/python3
"""A webhook and Slack receiver for the delivery tests and benchmark.

    http_receiver.py PORT LOG [SECRET]

Every POST is answered according to the current mode and recorded in LOG
(one JSON object per line: path, idempotency key, whether the signature
verified, the answer given). POST /control with {"mode": ..., "times": N,
"retry_after": S} changes the answer for the next N requests (all of them
when N is absent):

    ok      200
    fail    500
    limit   429 with Retry-After: S
    refuse  400
    slow    200 after "delay" seconds
    hang    no answer until the client gives up
    drop    the connection is closed without an answer
    garble  an answer no HTTP client accepts ("HTTP/1.2 503"), as a broken
            proxy in front of the receiver might send

GET /stats answers {"requests": n, "distinct": keys, "duplicates": n,
"bad_signatures": n, "by_path": {...}}, counting only requests answered 2xx.
"""
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, log_path = int(sys.argv[1]), sys.argv[2]
secret = sys.argv[3].encode() if len(sys.argv) > 3 else None
lock = threading.Lock()
state = {"mode": "ok", "times": None, "retry_after": 1, "delay": 0.1}
accepted = {}          # idempotency key -> times answered 2xx
paths = {}
bad_signatures = 0


def current_mode():
    with lock:
        mode = state["mode"]
        if state["times"] is not None:
            state["times"] -= 1
            if state["times"] <= 0:
                state["mode"], state["times"] = "ok", None
        return mode, state["retry_after"], state["delay"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # headers and body leave at once, no 40 ms delayed-ACK stall

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"{}", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with lock:
            body = json.dumps({
                "requests": sum(accepted.values()),
                "distinct": len(accepted),
                "duplicates": sum(n - 1 for n in accepted.values()),
                "bad_signatures": bad_signatures,
                "by_path": paths,
            }).encode()
        self.answer(200, body)

    def do_POST(self):
        global bad_signatures
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/control":
            settings = json.loads(body or b"{}")
            with lock:
                state["mode"] = settings.get("mode", "ok")
                state["times"] = settings.get("times")
                state["retry_after"] = settings.get("retry_after", 1)
                state["delay"] = settings.get("delay", 0.1)
            self.answer(200)
            return
        mode, retry_after, delay = current_mode()
        key = self.headers.get("Idempotency-Key")
        signature = self.headers.get("X-Bedrock-Signature")
        verified = None
        if secret is not None and signature is not None:
            timestamp = self.headers.get("X-Bedrock-Timestamp", "")
            expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            verified = hmac.compare_digest("v1=" + expected, signature)
        status = {"ok": 200, "slow": 200, "fail": 500, "limit": 429, "refuse": 400}.get(mode)
        with open(log_path, "a") as log:
            log.write(json.dumps({"path": self.path, "key": key, "verified": verified,
                                  "mode": mode, "at": time.time()}) + "\n")
        if mode == "slow":
            time.sleep(delay)
        if mode == "hang":
            time.sleep(3600)
            return
        if mode == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "garble":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.2 503 Garbled\r\nContent-Length: 0\r\n\r\n")
            return
        if 200 <= status < 300:
            with lock:
                accepted[key] = accepted.get(key, 0) + 1
                paths[self.path] = paths.get(self.path, 0) + 1
                if verified is False:
                    bad_signatures += 1
        headers = [("Retry-After", str(retry_after))] if status == 429 else []
        self.answer(status, b"{}", headers)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


Server(("127.0.0.1", port), Handler).serve_forever()
