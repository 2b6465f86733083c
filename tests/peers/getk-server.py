#!/usr/bin/python3
"""getk-server.py: a GETK test peer for getk's integration tests and benchmark.

This is a small SMTP server, meant to listen on loopback only, that speaks
the GETK extension exactly as /work/shared/GETK.md (the wire contract) and
getk(7) describe it: STARTTLS, then EHLO again, then any number of
"GETK <mailbox>" commands, answered with the base64 of a key file taken from a
directory.  Besides the correct behaviour it has one switch per kind of
hostile or broken server the client must survive (no GETK, GETK in clear
text, bad octet count, bad base64, oversize reply, lines without CRLF,
hanging, ...); see --help and tests/peers/README.

It is not a mail server: MAIL/RCPT/DATA are accepted and the message is
thrown away.  It uses only the Python standard library (Debian's
/usr/bin/python3, 3.11) and plain asyncio streams.

Typical use (the port is picked by the kernel and written to the port file):

    tests/peers/getk-server.py --hostname mx1.example.org \\
        --cert mx1.pem --key mx1.key --keys keys/ --port-file port \\
        --log commands.log
"""

import argparse
import asyncio
import os
import sys

# make distcheck runs the tests from a read-only source tree: no __pycache__.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402  (tests/peers/peerlib.py, beside this script)
from peerlib import err  # noqa: E402

PROG = "getk-server"
peerlib.set_prog(PROG)

# RFC 5321 4.5.3.1.6 is 1000 for text lines; DATA lines are discarded, so be
# generous rather than strict there.
MAX_DATA_LINE = 1 << 20
# GETK.md section 3 and 5: largest key a server may hand out.
MAX_KEY_OCTETS = peerlib.GETK_MAX_KEY_OCTETS
# --oversize: announced and sent size, above every client's default limit.
OVERSIZE_OCTETS = 70000
# --oversize: largest key file still served (as is, without padding).
OVERSIZE_FILE_LIMIT = 16 << 20

# A single-line reply that aborts a command: Reply(code, enh, text), where
# enh ("5.1.3") is dropped under --no-enhanced.  The GETK argument parsers
# and the key lookup are shared with relay.py (peerlib).
Reply = peerlib.ReplyError


# --------------------------------------------------------------------------
# One SMTP session
# --------------------------------------------------------------------------

class Session(peerlib.LineSession):
    """One client connection: reads commands, writes replies.

    State: self.tls (TLS is active), self.ehlo (EHLO, not HELO, was given
    since the connection or the last STARTTLS), self.helo (HELO or EHLO),
    the mail transaction (self.mail, self.rcpts) and the number of GETK
    commands seen on this connection (for --close-after).  Line reading
    and the STARTTLS plumbing come from peerlib.LineSession.
    """

    def __init__(self, server, reader, writer):
        super().__init__(server, reader, writer)
        self.mail = False
        self.rcpts = 0
        self.getk_count = 0
        self.mute = False       # keep the connection open, answer nothing
        self.fragment = b""     # --no-crlf: unterminated octets to send last
        self.verb = "XGETK" if self.opts.xgetk else "GETK"

    # ---------------------------------------------------------------- I/O

    def fmt(self, code, enh, text, last=True):
        """Format one reply line; enh is dropped under --no-enhanced."""
        sep = " " if last else "-"
        if enh and not self.opts.no_enhanced:
            return f"{code}{sep}{enh} {text}"
        return f"{code}{sep}{text}"

    def send(self, *lines):
        """Queue complete reply lines (str, without CRLF) for sending."""
        self.send_raw("".join(line + "\r\n" for line in lines).encode())

    def send_raw(self, data):
        """Queue raw octets for sending (used for the --no-crlf fragment)."""
        self.writer.write(data)

    def reply(self, code, enh, text):
        """Send a single-line reply."""
        self.send(self.fmt(code, enh, text))

    async def swallow(self):
        """Answer nothing, log what arrives, return when the client leaves.

        Used by --hang, --hang-after-ehlo and --no-crlf: the connection
        stays open until the client closes it (or the server stops).
        """
        await self.writer.drain()
        while True:
            item = await self.next_line(MAX_DATA_LINE)
            if item is None:
                return
            self.server.log.record(item[0], self.tls)

    # ------------------------------------------------------------ session

    async def run(self):
        """Serve the connection until QUIT, EOF, a 421 or a fatal error."""
        if self.opts.hang:
            await self.swallow()
            return
        self.send(f"220 {self.opts.hostname} ESMTP getk-test")
        while not self.done:
            if self.mute:
                await self.swallow()
                return
            item = await self.next_line()
            if item is None:
                return
            line, too_long = item
            self.server.log.record(line, self.tls)
            await self.check_connected()
            if too_long:
                self.reply(500, "5.5.2", "Line too long")
                continue
            await self.dispatch(line)
        await self.writer.drain()

    async def dispatch(self, line):
        """Run one command line (bytes, without CRLF)."""
        verb, _, arg = line.partition(b" ")
        verb = verb.decode("ascii", "replace").upper()
        if verb in ("GETK", "XGETK"):
            if verb == self.verb:
                await self.cmd_getk(arg)
            else:
                self.reply(500, "5.5.2", "Command unrecognized")
            return
        handler = {
            "EHLO": self.cmd_ehlo,
            "HELO": self.cmd_helo,
            "STARTTLS": self.cmd_starttls,
            "NOOP": self.cmd_noop,
            "RSET": self.cmd_rset,
            "QUIT": self.cmd_quit,
            "MAIL": self.cmd_mail,
            "RCPT": self.cmd_rcpt,
            "DATA": self.cmd_data,
        }.get(verb)
        if handler is None:
            self.reply(500, "5.5.2", "Command unrecognized")
        else:
            await handler(arg)

    # ------------------------------------------------ what is offered now

    def starttls_offered(self):
        """True if STARTTLS is advertised and accepted in this state."""
        return (not self.tls and not self.opts.no_starttls
                and self.server.tls_context is not None)

    def getk_offered(self):
        """True if GETK is advertised, and answered, in this state."""
        opts = self.opts
        if opts.no_getk or opts.getk_code_500:
            return False
        if opts.getk_before_tls:
            return not self.tls
        if opts.no_starttls:
            return True
        return self.tls

    def reset_transaction(self):
        """Forget MAIL and RCPT (RSET, EHLO, HELO, STARTTLS)."""
        self.mail = False
        self.rcpts = 0

    # --------------------------------------------------------- commands

    async def cmd_ehlo(self, arg):
        """EHLO: list the extensions valid in the current state."""
        if not arg.strip():
            self.reply(501, "5.5.4", "Syntax: EHLO hostname")
            return
        self.helo = self.ehlo = True
        self.reset_transaction()
        exts = ["PIPELINING"]
        if self.starttls_offered():
            exts.append("STARTTLS")
        if not self.opts.no_enhanced:
            exts.append("ENHANCEDSTATUSCODES")
        exts += ["8BITMIME", "SMTPUTF8"]
        if self.getk_offered():
            exts.append(f"{self.verb} OPENPGP")
        lines = [self.opts.hostname] + exts
        self.send(*(f"250-{x}" for x in lines[:-1]), f"250 {lines[-1]}")

    async def cmd_helo(self, arg):
        """HELO: plain SMTP greeting; GETK then still needs EHLO."""
        if not arg.strip():
            self.reply(501, "5.5.4", "Syntax: HELO hostname")
            return
        self.helo = True
        self.ehlo = False
        self.reset_transaction()
        self.send(f"250 {self.opts.hostname}")

    async def cmd_starttls(self, arg):
        """STARTTLS: 220, then the TLS handshake, then a fresh session.

        Nothing is awaited between queueing the 220 and handing the
        transport to TLS, so the client's ClientHello is never read as
        SMTP.  Plain text the client pipelined after STARTTLS is logged and
        discarded (RFC 3207 section 4.2), never carried into the TLS session.
        """
        if self.opts.no_starttls:
            self.reply(502, "5.5.1", "Command not implemented")
            return
        if self.tls:
            self.reply(503, "5.5.1", "TLS already active")
            return
        if self.server.tls_context is None:
            self.reply(454, "4.7.0", "TLS not available")
            return
        if arg.strip():
            self.reply(501, "5.5.4", "Syntax error (no parameters allowed)")
            return
        await self.writer.drain()
        self.discard_cleartext()
        self.reply(220, "2.0.0", "Ready to start TLS")
        if await self.handshake():
            self.reset_transaction()

    async def cmd_noop(self, arg):
        """NOOP."""
        self.reply(250, "2.0.0", "OK")

    async def cmd_rset(self, arg):
        """RSET: drop the mail transaction."""
        self.reset_transaction()
        self.reply(250, "2.0.0", "OK")

    async def cmd_quit(self, arg):
        """QUIT: 221 and close."""
        self.reply(221, "2.0.0", "Bye")
        self.done = True

    async def cmd_mail(self, arg):
        """MAIL FROM: minimal acceptance (GETK may run inside a transaction)."""
        if not self.helo:
            self.reply(503, "5.5.1", "Send HELO/EHLO first")
        elif self.mail:
            self.reply(503, "5.5.1", "Nested MAIL command")
        elif not arg.upper().startswith(b"FROM:"):
            self.reply(501, "5.5.4", "Syntax: MAIL FROM:<address>")
        else:
            self.mail = True
            self.reply(250, "2.1.0", "Ok")

    async def cmd_rcpt(self, arg):
        """RCPT TO: minimal acceptance."""
        if not self.mail:
            self.reply(503, "5.5.1", "Need MAIL command")
        elif not arg.upper().startswith(b"TO:"):
            self.reply(501, "5.5.4", "Syntax: RCPT TO:<address>")
        else:
            self.rcpts += 1
            self.reply(250, "2.1.5", "Ok")

    async def cmd_data(self, arg):
        """DATA: read the message up to the lone dot and throw it away."""
        if not self.mail:
            self.reply(503, "5.5.1", "Need MAIL command")
            return
        if not self.rcpts:
            self.reply(503, "5.5.1", "Need RCPT command")
            return
        self.send("354 End data with <CR><LF>.<CR><LF>")
        while True:
            item = await self.next_line(MAX_DATA_LINE)
            if item is None:
                self.done = True
                return
            if item == (b".", False):
                break
        self.reset_transaction()
        self.reply(250, "2.0.0", "Ok: message discarded")

    # ---------------------------------------------------------------- GETK

    async def cmd_getk(self, arg):
        """GETK (or XGETK under --xgetk): look a key up and answer it.

        Order of checks: switches that disable GETK, EHLO, TLS state,
        --close-after, --fail, syntax, domain, key file.  --delay-ms holds
        whatever reply results until that long after the command arrived.
        """
        opts = self.opts
        if opts.hang_after_ehlo:
            self.mute = True
            return
        if opts.no_getk:
            lines = [self.fmt(502, "5.5.1", "Command not implemented")]
        elif opts.getk_code_500:
            lines = [self.fmt(500, "5.5.2", "Command unrecognized")]
        elif not self.ehlo:
            lines = [self.fmt(503, "5.5.1", "Send EHLO first")]
        elif not self.getk_offered():
            if self.tls or opts.getk_before_tls:
                lines = [self.fmt(502, "5.5.1", "Command not implemented")]
            else:
                lines = [self.fmt(530, "5.7.0",
                                  "Must issue a STARTTLS command first")]
        else:
            self.getk_count += 1
            if (opts.close_after is not None
                    and self.getk_count > opts.close_after):
                lines = [self.fmt(421, "4.7.0",
                                  "Too many lookups, closing connection")]
                self.done = True
            elif opts.fail is not None:
                lines = [opts.fail + (" " + peerlib.CONTROL_TEXT
                                      if opts.control_text else "")]
                self.done = opts.fail.startswith("421")
            else:
                lines = self.lookup(arg)
            if opts.extra_reply and self.getk_count == 1:
                # One reply too many, after the first: under PIPELINING
                # a client that does not count takes it as the reply to
                # the next GETK, and every later reply shifts by one.
                lines = lines + [self.fmt(550, "5.7.0", "No key available")]
        if opts.delay_ms:
            await self.latency(opts.delay_ms)
        self.send(*lines)
        if self.fragment:
            self.send_raw(self.fragment)
            self.fragment = b""

    def lookup(self, arg):
        """Answer a GETK that passed the state checks: return reply lines.

        Under --no-crlf the lines are followed by self.fragment (half a
        data line, no CRLF) and the session is muted.
        """
        opts = self.opts
        try:
            raw, params = peerlib.split_getk_argument(arg)
            utf8 = peerlib.parse_getk_params(params)
            local, domain = peerlib.parse_getk_mailbox(raw, utf8)
            if (self.server.domains is not None
                    and domain.lower() not in self.server.domains):
                raise Reply(550, "5.1.2", "Domain not served here")
            limit = OVERSIZE_FILE_LIMIT if opts.oversize else MAX_KEY_OCTETS
            key = peerlib.find_key(opts.keys, local, domain, limit)
            if key is None:
                raise Reply(550, "5.7.0", "No key available")
        except Reply as r:
            return [self.fmt(r.code, r.enh, r.text)]
        except peerlib.KeyDirUnavailable as exc:
            err(f"key directory unavailable: {exc}")
            return [self.fmt(451, "4.4.3",
                             "Key directory temporarily unavailable")]
        return self.key_reply(key)

    def key_reply(self, key):
        """Build the 250 success reply for key, bent by the hostile switches."""
        opts = self.opts
        if opts.oversize and len(key) < OVERSIZE_OCTETS:
            key += os.urandom(OVERSIZE_OCTETS - len(key))
        announced = len(key) + (1 if opts.bad_octets else 0)
        chunks = peerlib.getk_base64_lines(key)
        if opts.bad_base64:
            first = chunks[0]
            mid = len(first) // 2
            chunks[0] = first[:mid] + "*" + first[mid + 1:]
        enhanced = not opts.no_enhanced
        if opts.no_crlf:
            head, partial = peerlib.getk_success_reply(
                announced, chunks[:1], enhanced)[:2]
            self.fragment = partial[:len(partial) // 2].encode()
            self.mute = True
            return [head]
        code = 251 if opts.mixed_codes else 250
        return peerlib.getk_success_reply(announced, chunks, enhanced, code)


# --------------------------------------------------------------------------
# The server: listening socket, sessions, shutdown
# --------------------------------------------------------------------------

class GetkServer(peerlib.PeerServer):
    """Listening socket plus the set of running sessions (peerlib)."""

    def __init__(self, opts):
        super().__init__(opts)
        self.domains = None
        if opts.domains is not None:
            self.domains = {d.strip().lower()
                            for d in opts.domains.split(",") if d.strip()}
        self.log = peerlib.CommandLog(opts.log)

    def new_session(self, reader, writer):
        """The session for a new connection."""
        return Session(self, reader, writer)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def parse_args(argv):
    """Parse the command line (see --help)."""
    p = argparse.ArgumentParser(
        prog="getk-server.py",
        description="SMTP server speaking GETK (see GETK.md), with switches "
                    "for hostile behaviour. For tests; listen on loopback.")
    g = p.add_argument_group("normal operation")
    peerlib.add_listen_options(g)
    g.add_argument("--hostname", default="localhost", metavar="NAME",
                   help="name in the greeting and EHLO reply")
    g.add_argument("--cert", metavar="FILE",
                   help="PEM certificate (chain) for STARTTLS")
    g.add_argument("--key", metavar="FILE",
                   help="PEM private key for --cert")
    g.add_argument("--keys", metavar="DIR",
                   help="key directory: files named local@domain, binary "
                        "OpenPGP keys")
    g.add_argument("--domains", metavar="LIST",
                   help="comma-separated domains served (default: any)")
    g.add_argument("--log", metavar="FILE",
                   help="append every command line received; '[TLS] ' "
                        "prefix once TLS is active")
    g.add_argument("--delay-ms", type=int, default=0, metavar="N",
                   help="send each GETK reply N ms after the command "
                        "arrived (a link's latency: GETKs pipelined in one "
                        "write are answered together)")

    h = p.add_argument_group("hostile or abnormal behaviour")
    h.add_argument("--no-getk", action="store_true",
                   help="never advertise GETK; GETK gets 502")
    h.add_argument("--getk-code-500", action="store_true",
                   help="never advertise GETK; GETK gets 500")
    h.add_argument("--getk-before-tls", action="store_true",
                   help="advertise and answer GETK only before STARTTLS; "
                        "after TLS GETK gets 502")
    h.add_argument("--no-starttls", action="store_true",
                   help="no STARTTLS (502); GETK advertised and answered "
                        "in clear text")
    h.add_argument("--xgetk", action="store_true",
                   help="advertise XGETK and accept only XGETK "
                        "(GETK gets 500)")
    h.add_argument("--no-enhanced", action="store_true",
                   help="no ENHANCEDSTATUSCODES, no x.y.z in replies")
    h.add_argument("--fail", metavar="REPLY",
                   help="answer every GETK with this single line; a 421 "
                        "closes the connection")
    h.add_argument("--close-after", type=int, metavar="N",
                   help="answer N GETKs per connection, then 421 and close")
    h.add_argument("--bad-octets", action="store_true",
                   help="announce one octet more than sent")
    h.add_argument("--bad-base64", action="store_true",
                   help="put '*' in the middle of the first data line")
    h.add_argument("--oversize", action="store_true",
                   help=f"pad the key with random bytes to "
                        f"{OVERSIZE_OCTETS} octets (and serve keys over "
                        f"{MAX_KEY_OCTETS})")
    h.add_argument("--no-crlf", action="store_true",
                   help="after the OPENPGP line send half a data line "
                        "without CRLF, then nothing")
    h.add_argument("--mixed-codes", action="store_true",
                   help="data lines use 251 instead of 250")
    h.add_argument("--control-text", action="store_true",
                   help="the --fail REPLY also carries an ESC sequence and "
                        "a bare CR in its text")
    h.add_argument("--extra-reply", action="store_true",
                   help="after the reply to the first GETK of a "
                        "connection, one more: \"550 5.7.0 No key "
                        "available\"")
    h.add_argument("--hang", action="store_true",
                   help="accept connections, never send anything")
    h.add_argument("--hang-after-ehlo", action="store_true",
                   help="normal until the first GETK, then silence")
    h.add_argument("--tls-cert-mismatch", action="store_true",
                   help="no effect (the test passes a wrong --cert)")

    opts = p.parse_args(argv)
    if opts.no_getk and opts.getk_code_500:
        p.error("--no-getk and --getk-code-500 exclude each other")
    if bool(opts.cert) != bool(opts.key):
        p.error("--cert and --key go together")
    if opts.fail is not None and ("\r" in opts.fail or "\n" in opts.fail):
        p.error("--fail must be a single line")
    if opts.close_after is not None and opts.close_after < 0:
        p.error("--close-after must be >= 0")
    if opts.delay_ms < 0:
        p.error("--delay-ms must be >= 0")
    peerlib.check_listen_options(p, opts)
    return opts


def startup_warnings(opts):
    """Warn, once listening, about options that make GETK unusable."""
    if opts.cert is None and not opts.no_starttls:
        err("warning: no --cert, STARTTLS unavailable; GETK will get 530")


def main(argv=None):
    """Entry point: run until SIGTERM or SIGINT (see peerlib.serve)."""
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    return asyncio.run(peerlib.serve(
        opts, GetkServer, "load TLS certificate or open log",
        startup_warnings))


if __name__ == "__main__":
    sys.exit(main())
