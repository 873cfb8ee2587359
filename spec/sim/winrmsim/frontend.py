# SPDX-License-Identifier: MIT
"""Event-driven HTTP/1.1 front end for one host or a fleet of hosts on loopback addresses.

One asyncio loop (the main thread) accepts connections on every host's listening socket, reads requests
(keep-alive, chunked bodies, 100-continue, TLS with optional client certificates, the idle timeout),
delays replies (--latency, injected delays) with timers, and writes them. The synchronous work of a
request (authentication, GSSAPI acceptor calls, SOAP dispatch, shells, PSRP, replay) runs in a bounded
pool of worker threads, one per request in flight and never one per connection, so a Receive that
waits for output or a Kerberos acceptor call never stalls other connections or hosts.

A host is "up" (answers), "down" (no listening socket: connections are refused) or "slow" (accepts and
reads requests but never answers).
"""

import asyncio
import collections
import errno
import ipaddress
import queue
import random
import socket
import ssl
import sys
import threading
import time
import traceback

from .server import IDLE_TIMEOUT, BadRequest, Connection, HttpRequest

UP, DOWN, SLOW = "up", "down", "slow"
LISTEN_BACKLOG = 4096          # the kernel caps it at net.core.somaxconn
LINE_LIMIT = 65536             # longest request or header line (bytes, CRLF excluded)
MAX_HEADERS = 200
TLS_HANDSHAKE_TIMEOUT = 30.0
RATE_WINDOW = 5                # seconds over which Stats' RequestRate is averaged
DEFAULT_WORKERS = 1024       # threads start only when every worker is busy (e.g. Receives waiting)


def host_addresses(first, count):
    """`count` consecutive addresses from `first` (127.0.0.2, 127.0.0.3, ... 127.0.1.0, ...)."""
    start = ipaddress.ip_address(first)
    if count > 1 and start.version != 4:
        raise ValueError("--hosts with more than one host needs an IPv4 --host (got %s)" % first)
    if int(start) + count - 1 > int(ipaddress.IPv4Address("255.255.255.255")) and start.version == 4:
        raise ValueError("--hosts %d from %s runs past 255.255.255.255" % (count, first))
    return [str(start + i) for i in range(count)]


def parse_latency(text):
    """--latency MS or MIN-MAX (milliseconds) -> (min_s, max_s)."""
    lo, sep, hi = text.partition("-")
    try:
        low = float(lo)
        high = float(hi) if sep else low
    except ValueError:
        raise ValueError("--latency wants MS or MIN-MAX in milliseconds (got %r)" % text)
    if low < 0 or high < low:
        raise ValueError("--latency wants 0 <= MIN <= MAX (got %r)" % text)
    return low / 1000.0, high / 1000.0


class Host:
    """One simulated host: its address, port, mode and (created at its first connection) its Service."""

    def __init__(self, index, address, mode, make_service):
        self.index = index
        self.address = address
        self.mode = mode
        self.port = None
        self.sock = None
        self.ssl_context = None    # with TLS: this host's, from FrontEnd's `tls` at its first connection
        self._make = make_service
        self._service = None
        self._lock = threading.Lock()

    @property
    def ready(self):
        return self._service is not None

    def service(self):
        with self._lock:
            if self._service is None:
                self._service = self._make(self)
            return self._service

    def services(self):
        """[the Service] if it was created, else []."""
        return [self._service] if self._service is not None else []


class FleetStats:
    """Process-wide request counters; updated on the loop thread only, read by Stats from any thread."""

    def __init__(self, hosts):
        self.hosts = len(hosts)
        self._hosts = hosts
        self.started = time.monotonic()
        self.requests = 0
        self.connections = 0
        self.peak = 0
        self._buckets = collections.deque()   # [second, requests in that second]

    def request(self):
        self.requests += 1
        now = int(time.monotonic())
        if self._buckets and self._buckets[-1][0] == now:
            self._buckets[-1][1] += 1
        else:
            if self._buckets:
                self.peak = max(self.peak, self._buckets[-1][1])
            self._buckets.append([now, 1])
            while self._buckets and self._buckets[0][0] <= now - RATE_WINDOW:
                self._buckets.popleft()

    def uptime(self):
        return time.monotonic() - self.started

    def rate(self):
        """Requests/s over the last RATE_WINDOW seconds (or since start, if that is shorter)."""
        now = time.monotonic()
        buckets = list(self._buckets)
        recent = sum(n for sec, n in buckets if sec > int(now) - RATE_WINDOW)
        span = min(float(RATE_WINDOW), max(now - self.started, 0.001))
        return recent / span

    def peak_rate(self):
        buckets = list(self._buckets)
        return max([self.peak] + [n for _, n in buckets])

    def open_totals(self):
        """-> (open enumeration contexts, shells, runspace pools) summed over every host of the fleet."""
        enums = shells = pools = 0
        for host in self._hosts:
            for service in host.services():
                enums += service.state.enums.open_count()
                shells += service.state.shells.open_count()
                pools += service.state.psrp.open_count()
        return enums, shells, pools

    def summary(self):
        up = self.uptime()
        return ("winrm-sim: %d requests on %d connections to %d host%s in %.1f s: %.0f requests/s on average, "
                "peak %d requests/s" % (self.requests, self.connections, self.hosts, "" if self.hosts == 1 else "s",
                                         up, self.requests / max(up, 0.001), self.peak_rate()))


class WorkerPool:
    """Daemon worker threads for the blocking part of requests: a thread per request in flight (reused,
    started only when every existing worker is busy), at most `limit`; later requests queue."""

    def __init__(self, loop, limit):
        self.loop = loop
        self.limit = max(1, limit)
        self.jobs = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.threads = 0
        self.idle = 0
        self.waiting = 0

    def run(self, fn, *args):
        """Run fn(*args) in a worker -> an awaitable future of its result."""
        fut = self.loop.create_future()
        with self.lock:
            self.waiting += 1
            start = self.waiting > self.idle and self.threads < self.limit
            if start:
                self.threads += 1
        self.jobs.put((fut, fn, args))
        if start:
            threading.Thread(target=self._work, name="winrm-sim worker", daemon=True).start()
        return fut

    def _work(self):
        while True:
            with self.lock:
                self.idle += 1
            fut, fn, args = self.jobs.get()
            with self.lock:
                self.idle -= 1
                self.waiting -= 1
            try:
                result, exc = fn(*args), None
            except BaseException as error:  # handed to the awaiting coroutine
                result, exc = None, error
            try:
                self.loop.call_soon_threadsafe(_settle, fut, result, exc)
            except RuntimeError:   # the loop has ended (the simulator is stopping)
                return


def _settle(fut, result, exc):
    if fut.cancelled():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


async def read_request(reader, writer, max_body):
    """One HTTP request from the stream -> HttpRequest, or None when the client closed the connection.
    Raises BadRequest (answer its status and close). Sends 100 Continue when the client asks for it."""
    line = await read_line(reader)
    while line in (b"\r\n", b"\n"):
        line = await read_line(reader)
    if not line:
        return None
    if not line.endswith(b"\n"):
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise BadRequest(400)
    req = HttpRequest()
    req.method, req.path, req.version = parts
    req.headers = headers = {}
    for _ in range(MAX_HEADERS):
        h = await read_line(reader)
        if not h.endswith(b"\n"):
            return None
        if h in (b"\r\n", b"\n"):
            break
        name, sep, value = h.decode("latin-1").partition(":")
        if not sep:
            raise BadRequest(400)
        headers.setdefault(name.strip().lower(), value.strip())
    else:
        raise BadRequest(431)
    length = 0
    if "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            raise BadRequest(400)
        if length > max_body:
            raise BadRequest(413)
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")   # as HTTP.sys: libcurl otherwise waits a second
    if "chunked" in headers.get("transfer-encoding", "").lower():
        req.body = await read_chunked(reader, max_body)
    else:
        req.body = await reader.readexactly(length) if length else b""
    return req


async def read_line(reader):
    try:
        return await reader.readline()
    except ValueError:   # longer than LINE_LIMIT
        raise BadRequest(400)


async def read_chunked(reader, max_body):
    chunks, total = [], 0
    while True:
        size_line = await read_line(reader)
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise BadRequest(400)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        total += size
        if total > max_body:
            raise BadRequest(413)
        chunks.append(await reader.readexactly(size))
        await reader.readline()


class FrontEnd:
    """Listening sockets of all hosts, the event loop's connection handling and the worker pool."""

    def __init__(self, hosts, port, tls=None, latency=(0.0, 0.0), workers=DEFAULT_WORKERS,
                 port_fallback=False):
        """tls: None (plain HTTP), or host -> the ssl.SSLContext of that host (its own certificate), called
        in a worker at the host's first connection. port_fallback: when `port` is taken on an address, use a
        free port instead (as port 0 does)."""
        self.hosts = hosts
        self.tls = tls
        self.latency = latency
        self.workers = workers
        self.stats = FleetStats(hosts)
        try:
            self.port = self._bind_all(port)
        except OSError as exc:
            if not port_fallback or exc.errno != errno.EADDRINUSE:
                raise
            print("winrm-sim: %s; using a free port instead" % exc.strerror, file=sys.stderr)
            self.port = self._bind_all(0)
        self.loop = None
        self.pool = None
        self.servers = []

    # ---- listening sockets (bound before the startup lines are printed) ---------------------------
    @staticmethod
    def _listen(address, port):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    def _bind_all(self, port):
        """Bind every host that is not down. Port 0: one ephemeral port shared by all addresses when the
        OS allows, else an ephemeral port per host. -> the first host's port."""
        shared = port
        for host in self.hosts:
            host.port = None
            want = shared
            if host.mode == DOWN:
                host.port = want
                continue
            try:
                host.sock = self._listen(host.address, want)
            except OSError as exc:
                if port != 0 or want == 0 or exc.errno != errno.EADDRINUSE:
                    self.close_sockets()
                    raise OSError(exc.errno, "cannot listen on %s port %d: %s" % (host.address, want, exc.strerror))
                host.sock = self._listen(host.address, 0)
            host.port = host.sock.getsockname()[1]
            if shared == 0:
                shared = host.port
        for host in self.hosts:   # down hosts before the first bound one
            if not host.port:
                host.port = shared
        return self.hosts[0].port

    def close_sockets(self):
        for host in self.hosts:
            if host.sock is not None:
                host.sock.close()
                host.sock = None

    # ---- the loop --------------------------------------------------------------------------------
    def serve(self, setup):
        """Run until stopped: setup(loop, stop) installs what sets the asyncio.Event `stop` (signals, ...)."""
        asyncio.run(self._main(setup))

    async def _main(self, setup):
        self.loop = asyncio.get_running_loop()
        self.pool = WorkerPool(self.loop, self.workers)
        stop = asyncio.Event()
        setup(self.loop, stop)
        for host in self.hosts:
            if host.sock is None:
                continue
            server = await asyncio.start_server(
                lambda r, w, h=host: self._connection(h, r, w), sock=host.sock, backlog=LISTEN_BACKLOG,
                limit=LINE_LIMIT + 2)
            self.servers.append(server)
        await stop.wait()
        for server in self.servers:
            server.close()

    def delay(self):
        low, high = self.latency
        return low if high <= low else random.uniform(low, high)

    async def _start_tls(self, host, writer):
        """The TLS handshake with the host's own context (made at its first connection)."""
        writer.transport.pause_reading()   # the ClientHello must not reach the plain stream meanwhile
        if host.ssl_context is None:
            host.ssl_context = await self.pool.run(self.tls, host)
        await writer.start_tls(host.ssl_context, ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT)

    async def _connection(self, host, reader, writer):
        sock = writer.get_extra_info("socket")
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        try:
            if self.tls is not None:
                await self._start_tls(host, writer)
            self.stats.connections += 1
            if host.mode == SLOW:
                await self._swallow(reader)
                return
            if not host.ready:
                await self.pool.run(host.service)
            ssl_obj = writer.get_extra_info("ssl_object")
            peer = writer.get_extra_info("peername") or ("?", 0)
            conn = Connection(host.service(), "%s:%s" % peer[:2],
                              ssl_obj.getpeercert(binary_form=True) if ssl_obj is not None else None)
            try:
                await self._requests(conn, reader, writer)
            finally:
                conn.close()
        except (ConnectionError, OSError, ssl.SSLError, EOFError, ValueError, TimeoutError):
            pass
        except Exception:  # a simulator bug: say so, drop this connection, keep serving the others
            traceback.print_exc(file=sys.stderr)
        finally:
            writer.close()

    async def _requests(self, conn, reader, writer):
        """Requests of one connection, in order, until either side closes."""
        while True:
            max_body = max(conn.service.settings.max_envelope_kb * 1024, 8192)
            try:
                async with asyncio.timeout(IDLE_TIMEOUT):
                    hreq = await read_request(reader, writer, max_body)
            except BadRequest as exc:
                conn.refuse(exc.status)
                writer.write(conn.reply_bytes())
                await writer.drain()
                return
            if hreq is None:
                return
            self.stats.request()
            keep = await self.pool.run(conn.serve, hreq) if conn.may_block(hreq) else conn.serve(hreq)
            data = conn.reply_bytes()
            if data:
                wait = conn.delay + self.delay()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
            if conn.holding:
                await self._swallow(reader)
                return
            if not keep:
                return

    @staticmethod
    async def _swallow(reader):
        """Read whatever the client sends until it closes; never answer."""
        while await reader.read(65536):
            pass
