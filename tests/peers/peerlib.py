"""peerlib.py: what the SMTP test peers getk-server.py and relay.py share.

Both peers are small asyncio SMTP servers for loopback that tests start by
path and stop with SIGTERM.  This module holds the parts that are the same
in both: the command log, the RFC 5321/6531 mailbox grammar, the GETK
argument, key directory and success reply (getk-server.py answers GETK as an
MX, relay.py as a submission proxy, GETK.md section 7), reading lines from a
session, the STARTTLS plumbing, the listening socket and the set of
sessions, the TLS context, the port and pid files, signal handling and
stderr messages.  What a peer says (its commands and replies, its options)
stays in the peer.

It is imported, not run, and uses only the Python standard library
(Debian's /usr/bin/python3, 3.11).  The peers put their own directory on
sys.path and set sys.dont_write_bytecode before importing it, so it works
from any working directory and leaves no __pycache__ in the source tree
(make distcheck runs the tests from a read-only one).
"""

import asyncio
import base64
import os
import re
import signal
import socket
import ssl
import sys
import traceback

# RFC 5321 4.5.3.1.4: command line limit, CRLF included.
MAX_COMMAND_LINE = 512
# --control-text (both peers): what a hostile server puts into the text
# of a refusal: an ESC sequence that sets a terminal's title and clears
# it, a bare CR that would overwrite the line, and colour.
CONTROL_TEXT = "\x1b]0;pwned\x07\x1b[2J\rFORGED \x1b[31mred\x1b[0m"
# How much to read from the socket at a time.
READ_CHUNK = 65536

_prog = "peer"


def set_prog(name):
    """Set the program name that err() puts in front of every message."""
    global _prog
    _prog = name


def err(message):
    """Print a message to stderr."""
    print(f"{_prog}: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Command log
# --------------------------------------------------------------------------

class CommandLog:
    """Append-only log of every command line received, for test assertions.

    One line per command, as received (raw octets, CRLF removed, cut to
    max_line octets when that is set), prefixed with "[TLS] " when the line
    arrived over TLS.  Every line is written with a single os.write() on an
    O_APPEND descriptor, so lines from concurrent sessions never interleave
    and nothing is buffered.  Without a path nothing is logged.
    """

    def __init__(self, path, max_line=None):
        self.fd = None
        self.max_line = max_line
        if path:
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                              0o644)

    def record(self, line, tls):
        """Append one received line (bytes, without its terminator)."""
        if self.fd is None:
            return
        if self.max_line is not None:
            line = line[:self.max_line]
        prefix = b"[TLS] " if tls else b""
        try:
            os.write(self.fd, prefix + line + b"\n")
        except OSError as exc:
            err(f"cannot write command log: {exc}")

    def close(self):
        """Close the log file."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# --------------------------------------------------------------------------
# Mailboxes (pure functions)
# --------------------------------------------------------------------------

_ATEXT = r"A-Za-z0-9!#$%&'*+\-/=?^_`{|}~"
_NONASCII = r"\u0080-\U0010ffff"


def _mailbox_regex(utf8):
    """Compile the RFC 5321 (or, with utf8, RFC 6531) Mailbox grammar."""
    extra = _NONASCII if utf8 else ""
    atom = f"[{_ATEXT}{extra}]+"
    dot_string = f"{atom}(?:\\.{atom})*"
    qtext = f"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e{extra}]"
    quoted_string = f'"(?:{qtext}|\\\\[\\x20-\\x7e])*"'
    let_dig = f"[A-Za-z0-9{extra}]"
    sub_domain = f"{let_dig}(?:[A-Za-z0-9\\-{extra}]*{let_dig})?"
    domain = f"{sub_domain}(?:\\.{sub_domain})*"
    address_literal = r"\[[\x21-\x5a\x5e-\x7e]+\]"
    return re.compile(
        f"(?P<local>{dot_string}|{quoted_string})"
        f"@(?P<domain>{domain}|{address_literal})\\Z")


MAILBOX_ASCII = _mailbox_regex(False)
MAILBOX_UTF8 = _mailbox_regex(True)


class ReplyError(Exception):
    """A single-line SMTP reply that ends a command, raised by parsers.

    code is the three-digit reply code (int), enh the enhanced status code
    ("5.1.3"; a peer without ENHANCEDSTATUSCODES drops it), text the human
    text; str() is "code enh text".
    """

    def __init__(self, code, enh, text):
        super().__init__(f"{code} {enh} {text}")
        self.code = code
        self.enh = enh
        self.text = text


class MailboxError(ReplyError):
    """A mailbox refused by decode_mailbox() or split_mailbox().

    code, enh and text make up the reply the peer sends for it, for
    example 501, "5.1.3", "Bad address syntax"; str() is "code enh text".
    """


def find_unquoted(data, char, start):
    """Index of byte char in data at or after start, outside "quotes"; -1."""
    quoted = False
    i = start
    while i < len(data):
        c = data[i:i + 1]
        if quoted and c == b"\\":
            i += 2
            continue
        if c == b'"':
            quoted = not quoted
        elif c == char and not quoted:
            return i
        i += 1
    return -1


def decode_mailbox(raw, utf8):
    """Decode a mailbox (bytes) as it arrived in a command; return str.

    Without utf8 (SMTPUTF8 was not given) a non-ASCII mailbox is refused
    with 553 5.6.7; with it, the octets must be valid UTF-8 (else 501
    5.1.3).  Raises MailboxError.
    """
    if any(b >= 0x80 for b in raw):
        if not utf8:
            raise MailboxError(553, "5.6.7",
                               "Non-ASCII address not permitted")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MailboxError(501, "5.1.3", "Bad address syntax") from None
    return raw.decode("ascii")


def split_mailbox(text, utf8):
    """Check a decoded mailbox; return (local part, domain) as str.

    The mailbox must match the RFC 5321 grammar (RFC 6531 with utf8) and
    keep within RFC 5321's limits (64 octets of local part, 255 of
    domain); anything else raises MailboxError 501 5.1.3.
    """
    match = (MAILBOX_UTF8 if utf8 else MAILBOX_ASCII).match(text)
    if not match:
        raise MailboxError(501, "5.1.3", "Bad address syntax")
    local, domain = match.group("local"), match.group("domain")
    if len(local.encode()) > 64 or len(domain.encode()) > 255:
        raise MailboxError(501, "5.1.3", "Bad address syntax")
    return local, domain


# --------------------------------------------------------------------------
# GETK (GETK.md): the argument, the key directory, the success reply
# (pure functions but for reading the key file)
# --------------------------------------------------------------------------

# GETK.md sections 3 and 5: largest key a server may hand out.
GETK_MAX_KEY_OCTETS = 65536
# GETK.md section 3: every data line but the last holds exactly 76 characters.
GETK_BASE64_LINE = 76


class KeyDirUnavailable(Exception):
    """The key directory cannot be read (answered with 451 4.4.3)."""


def split_getk_argument(arg):
    """Split the GETK argument (bytes) into (mailbox bytes, [param bytes]).

    Accepts "<mailbox> params..." and, like VRFY, "mailbox params...".
    Raises ReplyError for a missing argument or unbalanced brackets.
    """
    arg = arg.strip(b" \t")
    if not arg:
        raise ReplyError(501, "5.5.2", "Syntax error")
    if arg.startswith(b"<"):
        end = find_unquoted(arg, b">", 1)
        if end < 0:
            raise ReplyError(501, "5.1.3", "Bad address syntax")
        mailbox, rest = arg[1:end], arg[end + 1:]
        if rest and not rest.startswith(b" "):
            raise ReplyError(501, "5.5.2", "Syntax error")
    else:
        end = find_unquoted(arg, b" ", 0)
        if end < 0:
            end = len(arg)
        mailbox, rest = arg[:end], arg[end:]
    return mailbox, rest.split()


def parse_getk_params(params):
    """Check GETK parameters; return True if SMTPUTF8 was given.

    FORMAT=OPENPGP (any case) is the only format; SMTPUTF8 takes no value.
    Raises ReplyError 504 for another format, 501 for anything else.
    """
    utf8 = False
    for param in params:
        name, eq, value = param.partition(b"=")
        name = name.upper()
        if name == b"FORMAT" and eq:
            if value.upper() == b"OPENPGP":
                continue
            if not value:
                raise ReplyError(501, "5.5.2", "Syntax error")
            raise ReplyError(504, "5.5.4", "Key format not supported")
        if name == b"SMTPUTF8" and not eq:
            utf8 = True
            continue
        raise ReplyError(501, "5.5.4", "Unknown parameter")
    return utf8


def parse_getk_mailbox(raw, utf8):
    """Validate a GETK mailbox (bytes); return (local part, domain) as str.

    Without utf8, a non-ASCII mailbox is refused with 553 5.6.7; with it,
    the mailbox must be valid UTF-8 in the RFC 6531 grammar.  Anything not
    matching the grammar, or longer than RFC 5321's limits, is 501 5.1.3.
    Raises MailboxError (a ReplyError).
    """
    return split_mailbox(decode_mailbox(raw, utf8), utf8)


def ascii_lower(text):
    """Lowercase ASCII letters only (GETK.md 6.5: local part comparison)."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                             "abcdefghijklmnopqrstuvwxyz")


def find_key(keys_dir, local, domain, max_octets=GETK_MAX_KEY_OCTETS):
    """Return the key bytes for local@domain from keys_dir, or None.

    The file is keys_dir/<local>@<domain lowercased>; the exact local part
    is tried first, then its ASCII-lowercased form.  Files that are empty
    or larger than max_octets count as "no key", and so does every mailbox
    when keys_dir is None.  Raises KeyDirUnavailable when the directory
    (or a key file) cannot be read.
    """
    if keys_dir is None:
        return None
    if not os.path.isdir(keys_dir):
        raise KeyDirUnavailable(f"{keys_dir}: not a directory")
    domain = domain.lower()
    names = [f"{local}@{domain}"]
    lowered = f"{ascii_lower(local)}@{domain}"
    if lowered != names[0]:
        names.append(lowered)
    for name in names:
        # Quoted local parts may hold anything; never leave the directory.
        if "/" in name or "\0" in name:
            continue
        path = os.path.join(keys_dir, name)
        try:
            with open(path, "rb") as f:
                if os.fstat(f.fileno()).st_size > max_octets:
                    return None
                data = f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError as exc:
            raise KeyDirUnavailable(f"{path}: {exc}") from None
        if not data or len(data) > max_octets:
            return None
        return data
    return None


def getk_base64_lines(key):
    """The base64 of key (bytes) cut into GETK.md data lines (str)."""
    b64 = base64.b64encode(key).decode("ascii")
    return [b64[i:i + GETK_BASE64_LINE]
            for i in range(0, len(b64), GETK_BASE64_LINE)]


def getk_success_reply(octets, data_lines, enhanced=True, data_code=250):
    """The GETK.md section 3 success reply, as lines without CRLF.

    "250-OPENPGP <octets>", one "250-<data>" line per data line, then
    "250 END"; with enhanced, every line carries "2.0.0 " after the code.
    data_code replaces 250 on the data lines only (a hostile switch).
    """
    enh = "2.0.0 " if enhanced else ""
    return ([f"250-{enh}OPENPGP {octets}"]
            + [f"{data_code}-{enh}{line}" for line in data_lines]
            + [f"250 {enh}END"])


# --------------------------------------------------------------------------
# One SMTP session: the parts every peer's Session shares
# --------------------------------------------------------------------------

class LineSession:
    """Base of a peer's Session: one client connection read line by line.

    State kept here: self.tls (TLS is active), self.helo and self.ehlo (the
    client greeted, with EHLO for the latter), self.done (stop reading
    commands and close the connection) and self.peer (the client's
    address, for messages).  The subclass defines run() and the commands.
    """

    def __init__(self, server, reader, writer, tls=False):
        self.server = server
        self.opts = server.opts
        self.reader = reader
        self.writer = writer
        self.buf = bytearray()
        self.tls = tls
        self.helo = False
        self.ehlo = False
        self.done = False       # stop reading commands, close the connection
        self.peer = writer.get_extra_info("peername")
        # When the octets that completed the last line returned by
        # next_line() were read (loop.time()): --delay-ms counts from it.
        self.line_arrived = 0.0

    async def next_line(self, limit=MAX_COMMAND_LINE):
        """Return (line, too_long) for the next line, or None at EOF.

        line is the raw octets without CR LF (or bare LF).  A line longer
        than limit octets (terminator included) is returned cut to limit
        octets with too_long set; the rest of it is read and thrown away.
        Write flow control (drain) is applied before blocking on a read.
        """
        discarding = None
        while True:
            idx = self.buf.find(b"\n")
            if discarding is not None:
                if idx >= 0:
                    del self.buf[:idx + 1]
                    return discarding, True
                self.buf.clear()
            elif idx >= 0:
                line = bytes(self.buf[:idx + 1])
                del self.buf[:idx + 1]
                if len(line) > limit:
                    return line[:limit], True
                line = line[:-1]
                if line.endswith(b"\r"):
                    line = line[:-1]
                return line, False
            elif len(self.buf) >= limit:
                discarding = bytes(self.buf[:limit])
                self.buf.clear()
            await self.writer.drain()
            data = await self.reader.read(READ_CHUNK)
            if not data:
                return None
            self.line_arrived = asyncio.get_running_loop().time()
            self.buf += data

    async def latency(self, ms):
        """Wait until ms milliseconds after the current line arrived.

        A link's latency, not a server's think time: commands pipelined
        in one write are answered together, ms after they came, as over
        a long network path; a command sent on its own waits ms.
        """
        await self.writer.drain()
        loop = asyncio.get_running_loop()
        wait = self.line_arrived + ms / 1000 - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)

    async def check_connected(self):
        """Raise (ConnectionError) if the client is gone.

        Called after each command line is read, so that the session stops
        at once rather than answering the rest of a pipeline into a dead
        socket: yielding once lets asyncio deliver connection_lost, then
        drain() raises.
        """
        await asyncio.sleep(0)
        await self.writer.drain()

    def discard_cleartext(self):
        """Throw away plain text the client pipelined after STARTTLS.

        Called after STARTTLS is accepted and before the 220 is queued:
        what is already buffered (here and in the StreamReader) is logged
        without the "[TLS] " prefix and discarded (RFC 3207 section 4.2),
        never carried into the TLS session.
        """
        pending = bytes(self.buf)
        self.buf.clear()
        # asyncio has no public API to empty a StreamReader's buffer.
        reader_buf = getattr(self.reader, "_buffer", None)
        if reader_buf:
            pending += bytes(reader_buf)
            reader_buf.clear()
        if pending:
            for piece in pending.splitlines():
                self.server.log.record(piece, False)
            err(f"{self.peer}: discarded {len(pending)} octets sent in clear "
                "text after STARTTLS")

    async def handshake(self, **kwargs):
        """Run the STARTTLS handshake; return True once TLS is active.

        kwargs go to StreamWriter.start_tls().  On success the greeting is
        forgotten (self.helo, self.ehlo); on failure the error goes to
        stderr, the session ends (self.done) and False is returned.
        """
        try:
            await self.writer.start_tls(self.server.tls_context, **kwargs)
        except (OSError, ssl.SSLError, asyncio.TimeoutError,
                ConnectionError) as exc:
            err(f"{self.peer}: TLS handshake failed: {exc!r}")
            self.done = True
            return False
        self.tls = True
        self.helo = self.ehlo = False
        return True


# --------------------------------------------------------------------------
# The server: listening socket, sessions, shutdown
# --------------------------------------------------------------------------

class PeerServer:
    """Listening socket plus the set of running sessions.

    The subclass opens self.log (a CommandLog) in its __init__, after
    calling this one, and defines new_session(reader, writer), which
    returns a LineSession whose run() serves the connection.
    """

    def __init__(self, opts):
        self.opts = opts
        self.tls_context = make_tls_context(opts.cert, opts.key)
        self.log = None
        self.sessions = set()
        self.server = None
        self.stopping = False

    def new_session(self, reader, writer):
        """The session for a new connection (defined by the subclass)."""
        raise NotImplementedError

    async def start(self, **kwargs):
        """Bind and listen; return the port actually bound.

        kwargs go to asyncio.start_server() (ssl= for implicit TLS).
        """
        sock = bind_socket(self.opts.listen, self.opts.port)
        self.server = await asyncio.start_server(
            self.handle, sock=sock, backlog=1024, limit=READ_CHUNK * 2,
            **kwargs)
        return sock.getsockname()[1]

    async def handle(self, reader, writer):
        """Run one session; never let a client's misbehaviour escape."""
        task = asyncio.current_task()
        self.sessions.add(task)
        session = self.new_session(reader, writer)
        try:
            await session.run()
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError,
                asyncio.TimeoutError, OSError):
            pass  # the client went away, possibly in the middle of TLS
        except asyncio.CancelledError:
            pass  # server shutting down
        except Exception:  # a bug in the peer: report, keep serving
            err(f"{session.peer}: internal error:\n{traceback.format_exc()}")
        finally:
            self.sessions.discard(task)
            if self.stopping:
                abort_writer(writer)
            else:
                await close_writer(writer)

    async def stop(self):
        """Stop listening, end every session, close the log."""
        self.stopping = True
        if self.server is not None:
            self.server.close()
        for task in list(self.sessions):
            task.cancel()
        if self.sessions:
            await asyncio.wait(list(self.sessions), timeout=5)
        if self.log is not None:
            self.log.close()


async def close_writer(writer):
    """Close a stream, without waiting long for a TLS close_notify.

    Errors are ignored: the peer may have reset the connection already.
    """
    try:
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), timeout=2)
    except (asyncio.TimeoutError, asyncio.CancelledError):
        abort_writer(writer)
    except Exception:
        pass


def abort_writer(writer):
    """Drop a connection at once (server shutdown, close timeout)."""
    try:
        writer.transport.abort()
    except Exception:  # Python 3.11's SSL transport may be half gone
        pass


def bind_socket(host, port):
    """Create a listening TCP socket on the first address host resolves to.

    (asyncio would bind every address of a name like "localhost", each on
    its own ephemeral port; a test needs exactly one.)
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                               flags=socket.AI_PASSIVE)
    family, type_, proto, _, addr = infos[0]
    sock = socket.socket(family, type_, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(addr)
    sock.setblocking(False)
    return sock


def make_tls_context(cert, key):
    """Server TLS context from PEM files, or None without --cert."""
    if not cert:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def write_file_atomically(path, text):
    """Write text to path.tmp, then rename it over path."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def remove_quietly(path):
    """Remove path if it exists."""
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def exception_handler(loop, context):
    """asyncio exception handler: ignore errors caused by clients leaving.

    Anything else (a bug) goes to asyncio's default handler, on stderr.
    """
    exc = context.get("exception")
    if isinstance(exc, (ConnectionError, ssl.SSLError, OSError)):
        return
    loop.default_exception_handler(context)


# --------------------------------------------------------------------------
# Command line and start-up
# --------------------------------------------------------------------------

def add_listen_options(group):
    """Add --listen, --port, --port-file and --pid-file to an argparse group.

    Check the result with check_listen_options().
    """
    group.add_argument("--listen", default="127.0.0.1", metavar="ADDR",
                       help="address to listen on (default 127.0.0.1)")
    group.add_argument("--port", type=int, default=0, metavar="N",
                       help="port (default 0: let the kernel pick one)")
    group.add_argument("--port-file", metavar="FILE",
                       help="write the bound port and a newline here "
                            "(atomically) once listening")
    group.add_argument("--pid-file", metavar="FILE",
                       help="write the pid here")


def check_listen_options(parser, opts):
    """Refuse (exit 2 through parser.error) a --port out of range."""
    if not 0 <= opts.port <= 65535:
        parser.error("--port out of range")


async def serve(opts, server_class, open_what, warn=None):
    """Run a peer until SIGTERM or SIGINT; return the exit status.

    server_class(opts) builds the PeerServer; if that fails with OSError
    or ssl.SSLError, "cannot OPEN_WHAT: error" goes to stderr and the exit
    status is 1, as it is when binding fails.  warn(opts), if given, may
    print warnings once the server listens.  Then the pid file and the
    port file are written (in that order; the port file last, as the
    sign that the peer is ready), and "listening on ADDR port N" goes to
    stderr.  On SIGTERM or SIGINT every session is ended and both files
    are removed; the exit status is then 0.
    """
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(exception_handler)
    try:
        server = server_class(opts)
    except (OSError, ssl.SSLError) as exc:
        err(f"cannot {open_what}: {exc}")
        return 1
    try:
        port = await server.start()
    except OSError as exc:
        err(f"cannot listen on {opts.listen} port {opts.port}: {exc}")
        return 1
    if warn is not None:
        warn(opts)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if opts.pid_file:
        write_file_atomically(opts.pid_file, f"{os.getpid()}\n")
    if opts.port_file:
        write_file_atomically(opts.port_file, f"{port}\n")
    err(f"listening on {opts.listen} port {port}")
    try:
        await stop.wait()
    finally:
        await server.stop()
        remove_quietly(opts.port_file)
        remove_quietly(opts.pid_file)
    return 0
