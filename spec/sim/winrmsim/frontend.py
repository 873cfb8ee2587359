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

from .http1 import CONTINUE, Drop, RequestReader
from .server import IDLE_TIMEOUT, BadRequest, Connection

QUIET_ERRORS = (ConnectionError, OSError, ssl.SSLError, EOFError, ValueError, TimeoutError)

UP, DOWN, SLOW = "up", "down", "slow"
LISTEN_BACKLOG = 4096          # the kernel caps it at net.core.somaxconn
READ_HIGH_WATER = 1 << 20      # bytes read ahead of the request being served before reading pauses
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


class FrontEnd:
    """Listening sockets of all hosts, the event loop's connection handling and the worker pool."""

    def __init__(self, hosts, port, tls=None, latency=(0.0, 0.0), workers=DEFAULT_WORKERS,
                 port_fallback=False):
        """tls: None (plain HTTP), or host -> the ssl.SSLContext of that host (its own certificate), called
        on the loop for every connection (made at the host's first). port_fallback: when `port` is taken on
        an address, use a free port instead (as port 0 does)."""
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
            server = await self.loop.create_server(
                lambda h=host: HostConnection(self, h), sock=host.sock, backlog=LISTEN_BACKLOG)
            self.servers.append(server)
        await stop.wait()
        for server in self.servers:
            server.close()

    def delay(self):
        low, high = self.latency
        return low if high <= low else random.uniform(low, high)


class HostConnection(asyncio.Protocol):
    """One client connection of a host: its requests are read (http1.RequestReader), served in order (on the
    loop, or in a worker when they may block, see Connection.may_block), and their replies delayed and
    written; never more than one request of a connection at a time."""

    def __init__(self, front, host):
        self.front = front
        self.host = host
        self.loop = front.loop
        self.transport = None
        self.reader = RequestReader()
        self.conn = None            # server.Connection, once the host's Service exists
        self.busy = True            # a request is served or its reply not written yet (or no Connection yet)
        self.swallow = False        # a slow host or a held request: read until the client closes, never answer
        self.eof = False            # the client sent everything it will send
        self.done = False           # closed (by either side)
        self.write_paused = False   # the transport's buffer is full: the next request waits for resume_writing
        self.next_on_resume = False
        self.read_paused = False
        self.waiting_since = None   # loop time since which the next request is awaited (idle timeout)
        self.idle = None            # the idle timeout's timer
        self.delayed = None         # the timer of a reply waiting for its delay

    # ---- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport):
        if self.front.tls is None:
            self._connected(transport)
            return
        # TLS with the host's own certificate. The handshake task is scheduled before the loop can read
        # from the new socket (its first read event is processed after this call's callbacks), so the
        # ClientHello goes to the TLS layer that the task's first step puts in place, never to this protocol.
        self.transport = transport
        try:
            ssl_context = self.front.tls(self.host)   # made at the host's first connection: about a millisecond
        except Exception as exc:
            self._fail(exc)
            return
        handshake = self.loop.create_task(self.loop.start_tls(
            transport, self, ssl_context, server_side=True, ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT))
        handshake.add_done_callback(self._handshake_done)

    def _handshake_done(self, fut):
        exc = None if fut.cancelled() else fut.exception()
        if fut.cancelled() or self.done:
            return
        if exc is not None:
            self._fail(exc)
        else:
            self._connected(fut.result())

    def _connected(self, transport):
        """The connection is established (over TLS: its handshake is complete)."""
        self.transport = transport
        self.front.stats.connections += 1
        sock = transport.get_extra_info("socket")
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        if self.host.mode == SLOW:
            self.swallow = True
        elif self.host.ready:
            self._start()
        else:
            self.front.pool.run(self.host.service).add_done_callback(self._from_worker(lambda _: self._start()))

    def data_received(self, data):
        if self.swallow:
            return
        self.reader.feed(data)
        if not self.busy:
            self._next()
        elif len(self.reader.buf) > READ_HIGH_WATER and not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    def eof_received(self):
        self.eof = True
        if self.swallow:
            self._close()
        elif not self.busy:
            self._next()
        # keep the transport open to write the reply of a request being served (TLS cannot half-close)
        return self.transport.get_extra_info("sslcontext") is None

    def pause_writing(self):
        self.write_paused = True

    def resume_writing(self):
        self.write_paused = False
        if self.next_on_resume and not self.done:
            self.next_on_resume = False
            self._next()

    def connection_lost(self, exc):
        self.done = True
        for timer in (self.idle, self.delayed):
            if timer is not None:
                timer.cancel()
        self._release()

    # ---- requests --------------------------------------------------------------------------------
    def _from_worker(self, then):
        """A done-callback for a worker's future: then(result) unless it failed or the connection ended."""
        def settled(fut):
            exc = fut.exception()
            if self.done:
                return
            if exc is not None:
                self._fail(exc)
            else:
                then(fut.result())
        return settled

    def _start(self):
        try:
            ssl_obj = self.transport.get_extra_info("ssl_object")
            peer = self.transport.get_extra_info("peername") or ("?", 0)
            self.conn = Connection(self.host.service(), "%s:%s" % peer[:2],
                                   ssl_obj.getpeercert(binary_form=True) if ssl_obj is not None else None)
        except Exception as exc:
            self._fail(exc)
            return
        self._next()

    def _next(self):
        """Serve the requests received, in order, while their replies go out at once (a loop, not recursion:
        a client may pipeline thousands)."""
        while self._serve_one():
            pass

    def _serve_one(self):
        """Serve the next request if it is complete -> whether it was answered and the next one may follow."""
        if self.done:
            return False
        self.busy = False
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        conn = self.conn
        try:
            hreq = self.reader.next(max(conn.service.settings.max_envelope_kb * 1024, 8192), self.eof)
        except BadRequest as exc:
            self._send_continue()
            conn.refuse(exc.status)
            self.transport.write(conn.reply_bytes())
            self._close()
            return False
        except Drop:
            self._close()
            return False
        except Exception as exc:
            self._fail(exc)
            return False
        self._send_continue()
        if hreq is None:
            if self.eof:
                self._close()
            elif self.waiting_since is None:
                self._await_request()
            return False
        self.waiting_since = None
        self.busy = True
        self.front.stats.request()
        try:
            if conn.may_block(hreq):
                self.front.pool.run(conn.serve, hreq).add_done_callback(self._from_worker(self._reply_later))
                return False
            keep = conn.serve(hreq)
        except Exception as exc:
            self._fail(exc)
            return False
        return self._reply(keep)

    def _send_continue(self):
        if self.reader.want_continue:
            self.reader.want_continue = False
            self.transport.write(CONTINUE)

    def _reply(self, keep):
        """Write the reply now or after its delay -> whether the next request may be served now."""
        data = self.conn.reply_bytes()
        if data:
            wait = self.conn.delay + self.front.delay()
            if wait > 0:
                self.delayed = self.loop.call_later(wait, self._write_later, data, keep)
                return False
            self.transport.write(data)
        return self._written(keep)

    def _reply_later(self, keep):
        """A worker has served the request."""
        if self._reply(keep):
            self._next()

    def _write_later(self, data, keep):
        self.delayed = None
        if self.done:
            return
        self.transport.write(data)
        if self._written(keep):
            self._next()

    def _written(self, keep):
        """After a reply -> whether the next request may be served now."""
        if self.conn.holding:
            self.swallow = True
            self.reader = RequestReader()
            if self.eof:
                self._close()
            return False
        if not keep:
            self._close()
            return False
        if self.write_paused:
            self.next_on_resume = True
            return False
        return True

    # ---- the idle timeout and the end ---------------------------------------------------------------
    def _await_request(self):
        self.waiting_since = self.loop.time()
        if self.idle is None:
            self.idle = self.loop.call_at(self.waiting_since + IDLE_TIMEOUT, self._idle_check)

    def _idle_check(self):
        """One timer per connection, moved on while requests keep coming (no timer per request)."""
        self.idle = None
        if self.done or self.waiting_since is None:
            return
        due = self.waiting_since + IDLE_TIMEOUT
        if self.loop.time() >= due:
            self._close()
        else:
            self.idle = self.loop.call_at(due, self._idle_check)

    def _fail(self, exc):
        if not isinstance(exc, QUIET_ERRORS):   # a simulator bug: say so, drop this connection, serve the others
            traceback.print_exception(exc, file=sys.stderr)
        self._close()

    def _close(self):
        self.done = True
        self._release()
        self.transport.close()

    def _release(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
