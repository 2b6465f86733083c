#!/usr/bin/python3
"""https-server.py: an HTTPS test peer for getk's WKD and MTA-STS sources.

One process serves many virtual hosts on one port, over TLS only.  The
certificate is picked by the name the client sends in SNI, from a
directory of HOST.pem/HOST.key pairs as tests/mkcerts.sh makes them, and
files are served from ROOT/HOST/PATH.  That is all a WKD client
(draft-koch-openpgp-webkey-service: https://openpgpkey.DOMAIN/.well-known/
openpgpkey/DOMAIN/hu/HASH?l=LOCAL and https://DOMAIN/.well-known/openpgpkey/
hu/HASH?l=LOCAL, plus the policy files) and an MTA-STS client (RFC 8461:
https://mta-sts.DOMAIN/.well-known/mta-sts.txt) need to see.  Besides the
correct behaviour it has switches for hostile or broken servers: a chosen
status, a redirect, headers and then silence, an endless body, a wrong
Content-Type; see --help and tests/peers/README.

It speaks HTTP/1.1 (keep-alive, pipelining, no HTTP/2), answers GET and
HEAD and nothing else.  It uses only the Python standard library (Debian's
/usr/bin/python3, 3.11): asyncio streams and ssl, with the listening
socket, the port and pid files, the signals and the log from peerlib.

Typical use (the port is picked by the kernel and written to the port file):

    tests/peers/https-server.py --cert-dir pki --root www \\
        --port-file port --log requests.log
"""

import argparse
import asyncio
import email.utils
import http
import os
import socket
import ssl
import struct
import sys
import urllib.parse

# make distcheck runs the tests from a read-only source tree: no __pycache__.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402  (tests/peers/peerlib.py, beside this script)
from peerlib import err  # noqa: E402

PROG = "https-server"
peerlib.set_prog(PROG)

# Longest request line and header line (terminator included), and the most
# header lines one request may have.  Longer gets 414 / 431 and a close.
MAX_REQUEST_LINE = 8192
MAX_HEADER_LINE = 8192
MAX_HEADERS = 100
# Largest request body read (and thrown away); larger gets 413 and a close.
MAX_REQUEST_BODY = 1 << 20
# --oversize-for: random octets are sent in pieces of this size.
OVERSIZE_CHUNK = 65536
# Statuses that never have a body (RFC 9110 6.4.1).
NO_BODY_STATUSES = {204, 304}
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
SERVER_NAME = "getk-https-test"


def reason(code):
    """The reason phrase of a status code ("Unknown" when Python lacks it)."""
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"


def ascii_lower(text):
    """Lowercase ASCII letters only (host names compare so)."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                             "abcdefghijklmnopqrstuvwxyz")
_HOST_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-_")


def valid_host(name):
    """True if name (lowercased) is a host name safe as a directory name."""
    return (bool(name) and len(name) <= 253 and not name.startswith(".")
            and ".." not in name and set(name) <= _HOST_CHARS)


def host_of(value):
    """The host of a Host header value: port removed, lowercased.

    "[::1]:443" gives "[::1]"; "example.org:8443" gives "example.org".
    """
    value = value.strip()
    if value.startswith("["):
        end = value.find("]")
        host = value[:end + 1] if end >= 0 else value
    else:
        host = value.rpartition(":")[0] if ":" in value else value
    return ascii_lower(host)


def escape_for_log(data):
    """Bytes made one printable ASCII log field: bytes outside
    0x21-0x7e, and backslash, become \\xHH."""
    return b"".join(bytes([b]) if 0x21 <= b <= 0x7e and b != 0x5c
                    else b"\\x%02x" % b for b in data)


# --------------------------------------------------------------------------
# Certificates, chosen by SNI
# --------------------------------------------------------------------------

class CertStore:
    """The TLS contexts of --cert-dir, one per HOST.pem/HOST.key pair.

    Every pair in the directory (except the CA's, ca.pem/ca.key) is loaded
    at start-up, so a bad file stops the server at once (exit 1).  A name
    not found then is looked for again at the handshake, so certificates
    made after the start are picked up.  A name matches HOST.pem exactly,
    or else the wildcard file "*.PARENT.pem" for one label more.  Without
    SNI, or for a name with no certificate, --default-cert NAME is used;
    without it the handshake fails with an unrecognized_name alert.
    """

    def __init__(self, cert_dir, default_name):
        self.cert_dir = cert_dir
        self.contexts = {}
        names = sorted(f[:-4] for f in os.listdir(cert_dir)
                       if f.endswith(".pem") and f != "ca.pem")
        for name in names:
            if os.path.exists(os.path.join(cert_dir, name + ".key")):
                self.contexts[name.lower()] = self.load(name)
        self.default = None
        if default_name is not None:
            self.default = self.lookup(default_name.lower())
            if self.default is None:
                raise OSError(f"--default-cert {default_name}: no "
                              f"{default_name}.pem/.key in {cert_dir}")
        # The context every handshake starts with; the SNI callback
        # switches to the one for the name.  It holds no certificate.
        self.base = self.new_context()
        self.base.sni_callback = self.on_sni

    @staticmethod
    def new_context():
        """A server context offering HTTP/1.1 only (ALPN)."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def load(self, name):
        """The context for cert_dir/NAME.pem and NAME.key (may raise)."""
        ctx = self.new_context()
        pem = os.path.join(self.cert_dir, name + ".pem")
        try:
            ctx.load_cert_chain(pem, os.path.join(self.cert_dir,
                                                  name + ".key"))
        except ssl.SSLError as exc:     # its message names no file
            raise OSError(f"{pem} or its .key: {exc.reason or exc}") \
                from None
        return ctx

    def lookup(self, name):
        """The context for a server name (lowercase), or None."""
        candidates = [name]
        if "." in name:
            candidates.append("*." + name.split(".", 1)[1])
        for cand in candidates:
            if cand in self.contexts:
                return self.contexts[cand]
        for cand in candidates:
            if "/" in cand or cand.startswith(".") or cand == "ca":
                continue
            try:
                ctx = self.load(cand)
            except FileNotFoundError:
                continue
            except (OSError, ssl.SSLError) as exc:
                err(f"cannot load certificate {cand}: {exc}")
                continue
            self.contexts[cand] = ctx
            return ctx
        return None

    def on_sni(self, ssl_object, server_name, _base):
        """ssl's SNI callback: switch to the context for the name.

        The name (lowercased; None without SNI) is kept on the SSLObject
        as sni_name for the session to read.
        """
        name = ascii_lower(server_name) if server_name else None
        ssl_object.sni_name = name
        ctx = self.lookup(name) if name else None
        if ctx is None:
            ctx = self.default
        if ctx is None:
            err(f"TLS: no certificate for server name {name or '(no SNI)'}")
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        ssl_object.context = ctx
        return None


def send_handshake_alerts():
    """Make asyncio send the TLS alert of a failed server handshake.

    Python 3.11's asyncio.sslproto aborts the connection on a handshake
    error without writing what OpenSSL left in the outgoing buffer, so a
    client refused by on_sni() would see a bare EOF ("unexpected eof",
    curl's SSL_ERROR_SYSCALL) instead of the unrecognized_name alert.
    This wraps SSLProtocol._on_handshake_complete to flush the buffer
    first.  If asyncio's internals differ, it does nothing (the handshake
    still fails, only without the alert).
    """
    import asyncio.sslproto as sslproto
    proto = getattr(sslproto, "SSLProtocol", None)
    original = getattr(proto, "_on_handshake_complete", None)
    if original is None or not hasattr(proto, "_process_outgoing"):
        return

    def on_handshake_complete(self, handshake_exc):
        if handshake_exc is not None:
            try:
                self._process_outgoing()
            except Exception:  # best effort: the connection is failing
                pass
        return original(self, handshake_exc)

    proto._on_handshake_complete = on_handshake_complete


# --------------------------------------------------------------------------
# Per-path switches
# --------------------------------------------------------------------------

class PathRules:
    """What the hostile switches say about each path.

    A rule's PATH is "/..." for that path on every host, or "HOST/..." for
    that host only; a PATH ending in "*" matches every path starting with
    what precedes the "*".  Paths are compared after percent-decoding and
    without the query.  The first rule given that matches wins.
    """

    def __init__(self):
        self.rules = []

    def add(self, pattern, value):
        """Add a rule; raise ValueError for a bad PATH."""
        host = None
        if not pattern.startswith("/"):
            host, slash, rest = pattern.partition("/")
            if not slash or not valid_host(ascii_lower(host)):
                raise ValueError(f"bad PATH {pattern!r}: give /PATH or "
                                 "HOST/PATH")
            host, pattern = ascii_lower(host), "/" + rest
        prefix = pattern.endswith("*")
        self.rules.append((host, pattern.rstrip("*") if prefix else pattern,
                           prefix, value))

    def match(self, host, path):
        """The value of the first rule matching host and path, or None."""
        for rule_host, rule_path, prefix, value in self.rules:
            if rule_host is not None and rule_host != host:
                continue
            if path == rule_path or (prefix and path.startswith(rule_path)):
                return value
        return None


# --------------------------------------------------------------------------
# One connection
# --------------------------------------------------------------------------

class BadRequest(Exception):
    """A request that cannot be parsed: status (400, 414, 431, 413, 501),
    answered, after which the connection is closed."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class Request:
    """One parsed request: method, target (raw bytes), version, headers."""

    def __init__(self, method, target, version, headers):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # lowercase name -> list of str values

    def header(self, name):
        """The single value of header name, or None; BadRequest if many."""
        values = self.headers.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise BadRequest(400)
        return values[0]


class Session(peerlib.LineSession):
    """One TLS connection: any number of requests, one after the other."""

    def __init__(self, server, reader, writer):
        super().__init__(server, reader, writer, tls=True)
        ssl_object = writer.get_extra_info("ssl_object")
        self.sni = getattr(ssl_object, "sni_name", None)

    # ------------------------------------------------------------ session

    async def run(self):
        """Serve requests until the client closes or a reply says close."""
        while not self.done:
            try:
                request = await self.read_request()
            except BadRequest as exc:
                await self.delay()
                self.log((self.sni or "-").encode(), b"-", exc.status)
                await self.send_simple(exc.status, head=False, close=True)
                break
            if request is None:
                break
            await self.check_connected()
            await self.serve(request)
            await self.writer.drain()
        await self.writer.drain()

    async def read_request(self):
        """Read and parse one request; None at EOF before one starts."""
        while True:
            item = await self.next_line(MAX_REQUEST_LINE)
            if item is None:
                return None
            line, too_long = item
            if too_long:
                raise BadRequest(414)
            if line:        # RFC 9112 2.2: ignore empty lines before one
                break
        parts = line.split(b" ")
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise BadRequest(400)
        method, target, version = parts
        if version not in (b"HTTP/1.1", b"HTTP/1.0"):
            raise BadRequest(505 if version.startswith(b"HTTP/") else 400)
        headers = {}
        count = 0
        while True:
            item = await self.next_line(MAX_HEADER_LINE)
            if item is None:
                return None
            hline, too_long = item
            if too_long:
                raise BadRequest(431)
            if not hline:
                break
            count += 1
            if count > MAX_HEADERS:
                raise BadRequest(431)
            name, colon, value = hline.partition(b":")
            if not colon or not name or name != name.strip():
                raise BadRequest(400)
            headers.setdefault(name.decode("latin-1").lower(), []).append(
                value.strip(b" \t").decode("latin-1"))
        request = Request(method.decode("latin-1"), target,
                          version.decode("ascii"), headers)
        await self.discard_body(request)
        return request

    async def discard_body(self, request):
        """Read a request body (by Content-Length) and throw it away."""
        if request.header("transfer-encoding") is not None:
            raise BadRequest(501)
        length = request.header("content-length")
        if length is None:
            return
        if not length.isdigit():
            raise BadRequest(400)
        left = int(length)
        if left > MAX_REQUEST_BODY:
            raise BadRequest(413)
        while left > 0:
            if not self.buf:
                data = await self.reader.read(peerlib.READ_CHUNK)
                if not data:
                    raise ConnectionError("EOF in request body")
                self.buf += data
            take = min(left, len(self.buf))
            del self.buf[:take]
            left -= take

    # ---------------------------------------------------------- requests

    def keep_alive(self, request):
        """True if the connection stays open after this request."""
        tokens = {t.strip().lower() for v in request.headers.get(
            "connection", []) for t in v.split(",")}
        if request.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens

    async def serve(self, request):
        """Answer one request (after --delay-ms), log it, and decide
        whether the connection stays open."""
        opts = self.opts
        await self.delay()
        head = request.method == "HEAD"
        close = not self.keep_alive(request)
        status, host, path = self.route(request)
        host_field = (self.sni or "-").encode()
        target = request.target
        if status is not None:
            extra = [("Allow", "GET, HEAD")] if status == 405 else []
            self.log(host_field, request.method.encode(), status, target)
            await self.send_simple(status, head, close, extra)
            return
        rules = self.server.rules
        if rules["hang"].match(host, path):
            self.log(host_field, request.method.encode(), "-", target)
            await self.stall()
            return
        cut = rules["cut"].match(host, path)
        if cut is not None:
            self.log(host_field, request.method.encode(), cut, target)
            self.cut(cut)
            return
        code = rules["status"].match(host, path)
        if code is not None:
            self.log(host_field, request.method.encode(), code, target)
            await self.send_simple(code, head, close)
            return
        url = rules["redirect"].match(host, path)
        if url is not None:
            url = url.replace("{port}", str(self.server.port))
            code = opts.redirect_status
            self.log(host_field, request.method.encode(), code, target)
            await self.send_simple(code, head, close, [("Location", url)])
            return
        ctype = rules["content_type"].match(host, path)
        if ctype is None:
            ctype = ("text/plain" if path.endswith(".txt")
                     else "application/octet-stream")
        if rules["slow"].match(host, path):
            data = self.read_file(host, path)
            length = len(data) if isinstance(data, bytes) else 1000
            self.log(host_field, request.method.encode(), 200, target)
            self.send_head(200, [("Content-Type", ctype),
                                 ("Content-Length", str(length))])
            await self.stall()
            return
        size = rules["oversize"].match(host, path)
        if size is not None:
            self.log(host_field, request.method.encode(), 200, target)
            await self.send_oversize(size, ctype, head, request)
            return
        data = self.read_file(host, path)
        if not isinstance(data, bytes):
            self.log(host_field, request.method.encode(), data, target)
            await self.send_simple(data, head, close)
            return
        self.log(host_field, request.method.encode(), 200, target)
        self.send_head(200, [("Content-Type", ctype),
                             ("Content-Length", str(len(data)))], close)
        if not head:
            self.writer.write(data)

    def route(self, request):
        """Check method, target and host.

        Returns (status, host, path): status is an error to answer (405,
        400, 421) or None, host the virtual host (lowercase), path the
        percent-decoded path without the query.
        """
        if request.method not in ("GET", "HEAD"):
            return 405, None, None
        try:
            target = request.target.decode("ascii")
        except UnicodeDecodeError:
            return 400, None, None
        try:
            host_header = request.header("host")
        except BadRequest:
            return 400, None, None
        if target.startswith("/"):
            raw_path = target.partition("?")[0]
        else:                           # absolute-form (RFC 9112 3.2.2)
            parts = urllib.parse.urlsplit(target)
            if parts.scheme.lower() != "https" or not parts.netloc:
                return 400, None, None
            host_header = parts.netloc
            raw_path = parts.path or "/"
        if host_header is None:
            if request.version == "HTTP/1.1" or self.sni is None:
                return 400, None, None
            host = self.sni
        else:
            host = host_of(host_header)
        if not valid_host(host):
            return (421 if self.sni else 400), None, None
        if self.sni is not None and host != self.sni:
            return 421, None, None
        path = self.unquote(raw_path)
        if path is None:
            return 400, None, None
        return None, host, path

    @staticmethod
    def unquote(raw_path):
        """Percent-decode a path as UTF-8; None if it does not decode."""
        try:
            return urllib.parse.unquote(raw_path, errors="strict")
        except UnicodeDecodeError:
            return None

    def read_file(self, host, path):
        """The bytes of ROOT/HOST/PATH, or an error status (int).

        404 when there is no --root, no such regular file or the path
        names a directory; 400 for a NUL or a "." or ".." segment; 500
        when the file cannot be read.  Read again for every request.
        """
        root = self.opts.root
        segments = path.split("/")[1:]
        if "\0" in path or any(s in (".", "..") for s in segments):
            return 400
        if root is None or not segments or not segments[-1]:
            return 404
        full = os.path.join(root, host, *segments)
        if not os.path.isfile(full):    # no directories, FIFOs, devices
            return 404
        try:
            with open(full, "rb") as f:
                return f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return 404
        except OSError as exc:
            err(f"cannot read {full}: {exc}")
            return 500

    # -------------------------------------------------------------- I/O

    async def delay(self):
        """--delay-ms: wait before a response."""
        if self.opts.delay_ms:
            await asyncio.sleep(self.opts.delay_ms / 1000)

    def log(self, host, method, status, target=b"-"):
        """One --log line: HOST METHOD TARGET STATUS."""
        self.server.log.record(b" ".join([
            escape_for_log(host), escape_for_log(method),
            escape_for_log(target), str(status).encode()]), False)

    def send_head(self, status, headers, close=False):
        """Queue the status line and headers (Date, Server added)."""
        lines = [f"HTTP/1.1 {status} {reason(status)}",
                 f"Date: {email.utils.formatdate(usegmt=True)}",
                 f"Server: {SERVER_NAME}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if close:
            lines.append("Connection: close")
            self.done = True
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    async def send_simple(self, status, head, close, extra=()):
        """A complete response with a short text/plain body (none for
        HEAD, 204 and 304)."""
        body = b"" if status in NO_BODY_STATUSES \
            else f"{status} {reason(status)}\n".encode()
        headers = list(extra)
        if status not in NO_BODY_STATUSES:
            headers += [("Content-Type", "text/plain"),
                        ("Content-Length", str(len(body)))]
        self.send_head(status, headers, close)
        if not head:
            self.writer.write(body)
        await self.writer.drain()

    async def send_oversize(self, size, ctype, head, request):
        """--oversize-for: SIZE random octets without Content-Length.

        Chunked for an HTTP/1.1 request unless --oversize-close; else
        delimited by closing the connection.  HEAD gets the headers only.
        """
        chunked = (request.version == "HTTP/1.1"
                   and not self.opts.oversize_close)
        headers = [("Content-Type", ctype)]
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        self.send_head(200, headers, close=not chunked)
        if head:
            await self.writer.drain()
            return
        left = size
        while left > 0:
            n = min(left, OVERSIZE_CHUNK)
            data = os.urandom(n)
            if chunked:
                data = b"%x\r\n" % n + data + b"\r\n"
            self.writer.write(data)
            # Yield, so that a client that went away stops the loop at once
            # (ConnectionError) instead of asyncio warning on every write.
            await self.check_connected()
            left -= n
        if chunked:
            self.writer.write(b"0\r\n\r\n")
        await self.writer.drain()

    def cut(self, how):
        """End the connection without a byte of answer: "close" shuts it
        (no TLS close_notify), "reset" sends a TCP RST."""
        sock = self.writer.get_extra_info("socket")
        if how == "reset" and sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        self.done = True

    async def stall(self):
        """Send nothing more; read (and drop) until the client leaves."""
        await self.writer.drain()
        self.buf.clear()
        while await self.reader.read(peerlib.READ_CHUNK):
            pass
        self.done = True


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------

class HttpsServer(peerlib.PeerServer):
    """Listening socket (TLS from the first octet), sessions (peerlib)."""

    def __init__(self, opts):
        super().__init__(opts)      # opts.cert is None: no tls_context
        if not os.path.isdir(opts.cert_dir):
            raise FileNotFoundError(f"--cert-dir {opts.cert_dir}: "
                                    "not a directory")
        self.certs = CertStore(opts.cert_dir, opts.default_cert)
        self.rules = opts.rules
        self.port = 0
        self.log = peerlib.CommandLog(opts.log)

    async def start(self, **kwargs):
        """Bind and listen with TLS; return the port."""
        self.port = await super().start(ssl=self.certs.base,
                                        ssl_handshake_timeout=10, **kwargs)
        return self.port

    def new_session(self, reader, writer):
        """The session for a new connection."""
        return Session(self, reader, writer)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def parse_args(argv):
    """Parse the command line (see --help)."""
    p = argparse.ArgumentParser(
        prog="https-server.py",
        description="HTTPS server for many virtual hosts on one port "
                    "(certificate by SNI, files from ROOT/HOST/PATH), for "
                    "the WKD and MTA-STS tests, with switches for hostile "
                    "behaviour. For tests; listen on loopback.",
        epilog="PATH is /PATH (any host) or HOST/PATH (that host only), "
               "percent-decoded, without the query; a PATH ending in * "
               "matches every path starting with the rest. Where several "
               "switches match a path the first in this order wins: "
               "--hang-for, --cut-for/--reset-for, --status-for, --redirect-for, --slow-for, "
               "--oversize-for.")
    g = p.add_argument_group("normal operation")
    peerlib.add_listen_options(g)
    g.add_argument("--cert-dir", required=True, metavar="DIR",
                   help="certificates: DIR/HOST.pem and DIR/HOST.key "
                        "(tests/mkcerts.sh), chosen by SNI")
    g.add_argument("--default-cert", metavar="NAME",
                   help="certificate for clients without SNI or with an "
                        "unknown name (default: handshake failure)")
    g.add_argument("--root", metavar="DIR",
                   help="files: DIR/HOST/PATH (default: everything 404)")
    g.add_argument("--log", metavar="FILE",
                   help="append one line per request: HOST METHOD "
                        "TARGET STATUS")
    g.add_argument("--delay-ms", type=int, default=0, metavar="N",
                   help="sleep N ms before every response")

    h = p.add_argument_group("hostile or abnormal behaviour")
    h.add_argument("--status-for", nargs=2, action="append", default=[],
                   metavar=("PATH", "CODE"),
                   help="answer PATH with status CODE (200-599) and a "
                        "short text body")
    h.add_argument("--redirect-for", nargs=2, action="append", default=[],
                   metavar=("PATH", "URL"),
                   help="redirect PATH to URL ({port} in URL becomes the "
                        "listening port)")
    h.add_argument("--redirect-status", type=int, default=302,
                   metavar="CODE",
                   help="status of --redirect-for: 301, 302 (default), "
                        "303, 307 or 308")
    h.add_argument("--cut-for", action="append", default=[],
                   metavar="PATH",
                   help="read the request for PATH, then close the "
                        "connection without answering (after the TLS "
                        "handshake, without close_notify)")
    h.add_argument("--reset-for", action="append", default=[],
                   metavar="PATH",
                   help="read the request for PATH, then reset the "
                        "connection (TCP RST)")
    h.add_argument("--slow-for", action="append", default=[],
                   metavar="PATH",
                   help="send 200 and the headers (with a Content-Length) "
                        "for PATH, then nothing, ever")
    h.add_argument("--hang-for", action="append", default=[],
                   metavar="PATH",
                   help="read the request for PATH, then send nothing, ever")
    h.add_argument("--oversize-for", nargs=2, action="append", default=[],
                   metavar=("PATH", "BYTES"),
                   help="answer PATH with BYTES random octets and no "
                        "Content-Length (chunked)")
    h.add_argument("--oversize-close", action="store_true",
                   help="--oversize-for bodies end by closing the "
                        "connection instead of chunked")
    h.add_argument("--content-type-for", nargs=2, action="append",
                   default=[], metavar=("PATH", "TYPE"),
                   help="send Content-Type TYPE for PATH")

    opts = p.parse_args(argv)
    # peerlib.PeerServer makes a context from --cert/--key; this peer has
    # none (its contexts come from --cert-dir).
    opts.cert = opts.key = None
    if opts.delay_ms < 0:
        p.error("--delay-ms must be >= 0")
    if opts.redirect_status not in REDIRECT_STATUSES:
        p.error("--redirect-status must be one of "
                + ", ".join(map(str, REDIRECT_STATUSES)))
    rules = {k: PathRules() for k in ("hang", "cut", "status", "redirect",
                                      "slow", "oversize", "content_type")}
    try:
        for path in opts.hang_for:
            rules["hang"].add(path, True)
        for path in opts.cut_for:
            rules["cut"].add(path, "close")
        for path in opts.reset_for:
            rules["cut"].add(path, "reset")
        for path, code in opts.status_for:
            if not code.isdigit() or not 200 <= int(code) <= 599:
                p.error(f"--status-for {path}: CODE must be 200-599")
            rules["status"].add(path, int(code))
        for path, url in opts.redirect_for:
            if any(c in url for c in "\r\n"):
                p.error("--redirect-for: URL must be one line")
            rules["redirect"].add(path, url)
        for path in opts.slow_for:
            rules["slow"].add(path, True)
        for path, size in opts.oversize_for:
            if not size.isdigit():
                p.error(f"--oversize-for {path}: BYTES must be a number")
            rules["oversize"].add(path, int(size))
        for path, ctype in opts.content_type_for:
            if any(c in ctype for c in "\r\n"):
                p.error("--content-type-for: TYPE must be one line")
            rules["content_type"].add(path, ctype)
    except ValueError as exc:
        p.error(str(exc))
    opts.rules = rules
    peerlib.check_listen_options(p, opts)
    return opts


def main(argv=None):
    """Entry point: run until SIGTERM or SIGINT (see peerlib.serve)."""
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    send_handshake_alerts()
    return asyncio.run(peerlib.serve(
        opts, HttpsServer, "load certificates or open log"))


if __name__ == "__main__":
    sys.exit(main())
