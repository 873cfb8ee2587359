# SPDX-License-Identifier: MIT
"""HTTP/1.1 request framing over the bytes a connection has received (no I/O here).

`RequestReader` collects a connection's bytes and cuts them into requests: the request line, the
headers (names lower-cased, the first of repeated names kept), and a body framed by Content-Length or
chunked transfer coding. The front end (frontend.py) feeds it what the socket delivered and asks for the
next complete request; the reader keeps what belongs to later requests.
"""

from .server import BadRequest, HttpRequest

LINE_LIMIT = 65536             # longest request or header line (bytes, CRLF excluded)
MAX_HEADERS = 200
_LINE_MAX = LINE_LIMIT + 2     # what a line may hold before its LF (the CR, and the slack of the old reader)
_BLANK = (b"\r\n", b"\n")
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Drop(Exception):
    """The request cannot be read and gets no answer: close the connection."""


class RequestReader:
    """The bytes a connection received and not yet consumed, and the head of the request being read."""

    __slots__ = ("buf", "want_continue", "_head", "_continued")

    def __init__(self):
        self.buf = bytearray()
        self.want_continue = False   # the client waits for "100 Continue" (the front end sends it, clears this)
        self._head = None            # the HttpRequest whose headers are read, waiting for its body
        self._continued = False      # whether its 100 Continue was asked for already

    def feed(self, data):
        self.buf += data

    def next(self, max_body, eof=False):
        """The next complete request, or None while more bytes are needed (eof: none will come). Sets
        want_continue when the request asks for "100 Continue" (as HTTP.sys, which libcurl otherwise waits a
        second for). Raises BadRequest (answer its status and close) or Drop (close without an answer)."""
        if self._head is None and not self._read_head(max_body):
            return None
        req = self._head
        if not self._continued and req.headers.get("expect", "").lower() == "100-continue":
            self._continued = self.want_continue = True
        body = self._read_body(req, max_body, eof)
        if body is None:
            return None
        req.body = body
        self._head = None
        self._continued = False
        return req

    # ---- the head ----------------------------------------------------------------------------
    def _line(self, pos):
        """End (index of the LF) of the line starting at pos, or None when it is not complete."""
        end = self.buf.find(b"\n", pos)
        if end < 0:
            if len(self.buf) - pos > _LINE_MAX:
                raise BadRequest(400)
            return None
        if end - pos > _LINE_MAX:
            raise BadRequest(400)
        return end

    def _read_head(self, max_body):
        buf = self.buf
        pos = 0
        while True:   # empty lines before a request are skipped
            end = self._line(pos)
            if end is None:
                return False
            if buf[pos:end + 1] not in _BLANK:
                break
            pos = end + 1
        parts = buf[pos:end + 1].decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            raise BadRequest(400)
        req = HttpRequest()
        req.method, req.path, req.version = parts
        req.headers = headers = {}
        pos = end + 1
        for _ in range(MAX_HEADERS):
            end = self._line(pos)
            if end is None:
                return False
            line = buf[pos:end + 1]
            pos = end + 1
            if line in _BLANK:
                break
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise BadRequest(400)
            headers.setdefault(name.strip().lower(), value.strip())
        else:
            raise BadRequest(431)
        if "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise BadRequest(400)
            if length > max_body:
                raise BadRequest(413)
            if length < 0:
                raise Drop()
        del buf[:pos]
        self._head = req
        return True

    # ---- the body ----------------------------------------------------------------------------
    def _read_body(self, req, max_body, eof):
        """The body of req once all of it is here (and consumed from buf), else None."""
        if "chunked" in req.headers.get("transfer-encoding", "").lower():
            return self._read_chunked(max_body, eof)
        length = int(req.headers.get("content-length", 0) or 0)
        if len(self.buf) < length:
            return None
        body = bytes(self.buf[:length])
        del self.buf[:length]
        return body

    def _read_chunked(self, max_body, eof):
        buf = self.buf
        chunks, total, pos = [], 0, 0
        while True:
            end = self._line(pos)
            if end is None:
                return None
            try:
                size = int(bytes(buf[pos:end + 1]).split(b";")[0].strip(), 16)
            except ValueError:
                raise BadRequest(400)
            pos = end + 1
            if size == 0:
                break
            total += size
            if total > max_body:
                raise BadRequest(413)
            if len(buf) < pos + size:
                return None
            chunks.append(bytes(buf[pos:pos + size]))
            end = self._line(pos + size)   # the CRLF after the data
            if end is None:
                return None
            pos = end + 1
        while True:   # trailer lines, up to an empty line (or the end of the stream)
            end = self._line(pos)
            if end is None:
                if not eof:
                    return None
                pos = len(buf)
                break
            line = buf[pos:end + 1]
            pos = end + 1
            if line in _BLANK:
                break
        del buf[:pos]
        return b"".join(chunks)
