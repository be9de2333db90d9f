#!/usr/bin/env python3
"""Serves files of a directory over HTTP on 127.0.0.1 with Range support.

qemu's curl driver reads disks with Range requests, and python's own
http.server answers them with the whole file; busybox httpd answers Range but
its listen backlog of 9 refused qemu's parallel connections under load.
With a certificate and its key it serves HTTPS instead.
Usage: range_http_server.py PORT DIR [CERT KEY]
"""
import os
import re
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _target(self):
        path = os.path.join(ROOT, self.path.lstrip("/").split("?")[0])
        return path if os.path.isfile(path) else None

    def _serve(self, body):
        path = self._target()
        if not path:
            self.send_error(404)
            return
        size = os.path.getsize(path)
        start, end = 0, size - 1
        m = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if m:
            start = int(m.group(1))
            end = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        if body:
            with open(path, "rb") as f:
                f.seek(start)
                self.wfile.write(f.read(end - start + 1))

    def do_HEAD(self):
        self._serve(False)

    def do_GET(self):
        self._serve(True)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


ROOT = sys.argv[2]
server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
if len(sys.argv) == 5:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    # The handshake then happens in each request's thread, so one slow or
    # failing client does not stall the accept loop.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
server.serve_forever()
