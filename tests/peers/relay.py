#!/usr/bin/python3
"""relay.py: an SMTP submission relay peer for getk-sendmail's tests.

This is a small SMTP submission server, meant to listen on loopback only,
that getk-sendmail (which encrypts a message and submits it with libcurl) is
tested against.  It speaks STARTTLS (or TLS from the first byte with
--implicit-tls), AUTH PLAIN and AUTH LOGIN after TLS, SIZE, PIPELINING,
8BITMIME, SMTPUTF8 and ENHANCEDSTATUSCODES, and stores every message it
accepts in a spool directory, exactly as received (dot-stuffing undone), next
to a small JSON file with the envelope.  With --getk-keys it is also a GETK
submission proxy (GETK.md section 7): GETK after TLS and AUTH, answered from
a key directory as getk-server.py does.  Switches make it refuse MAIL, RCPT
or DATA with a given reply; see --help and tests/peers/README.

It is not a mail server: nothing is ever relayed anywhere.  It uses only the
Python standard library (Debian's /usr/bin/python3, 3.11) and plain asyncio
streams, like getk-server.py.  Message data is streamed to a temporary file
in the spool as it arrives, never held in memory as a whole.

Typical use (the port is picked by the kernel and written to the port file):

    tests/peers/relay.py --cert relay.pem --key relay.key \\
        --user alice --password secret --spool spool/ --port-file port \\
        --log commands.log
"""

import argparse
import asyncio
import base64
import binascii
import json
import os
import re
import sys

# make distcheck runs the tests from a read-only source tree: no __pycache__.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402  (tests/peers/peerlib.py, beside this script)
from peerlib import MAX_COMMAND_LINE, READ_CHUNK, err  # noqa: E402

PROG = "relay"
peerlib.set_prog(PROG)

# RFC 4954 section 4: AUTH lines (and SASL responses) may be this long.
MAX_AUTH_LINE = 12288
# Lines in the command log are cut to this many octets.
MAX_LOG_LINE = 512
# RFC 5321 4.5.3.1.8 asks for at least 100; more gets 452 4.5.3.
MAX_RECIPIENTS = 1000
# TLS handshake timeout (STARTTLS and implicit TLS), seconds.
TLS_HANDSHAKE_TIMEOUT = 30
# Replies that --fail-* accept: one line, a 4xx or 5xx code.
FAIL_REPLY = re.compile(r"[45][0-9][0-9](?: [^\r\n]*)?\Z")


class Reply(Exception):
    """A complete single-line SMTP reply ("501 5.5.4 Syntax error"), raised
    by parsers to abort a command."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


class AuthAbort(Exception):
    """Ends an AUTH exchange: reply is the line to send, None at EOF."""

    def __init__(self, reply=None):
        super().__init__(reply)
        self.reply = reply


# --------------------------------------------------------------------------
# Envelope parsing (pure functions)
# --------------------------------------------------------------------------

def split_path(arg, keyword, usage):
    """Split "FROM:<path> params" (keyword b"FROM:" or b"TO:").

    Returns (path bytes without the brackets and any source route,
    [param bytes]).  A space after the colon is tolerated; the angle
    brackets are required.  Raises Reply(usage) on a syntax error.
    """
    bad = Reply(f"501 5.5.4 Syntax: {usage}")
    if arg[:len(keyword)].upper() != keyword:
        raise bad
    rest = arg[len(keyword):].lstrip(b" ")
    if not rest.startswith(b"<"):
        raise bad
    end = peerlib.find_unquoted(rest, b">", 1)
    if end < 0:
        raise bad
    path, tail = rest[1:end], rest[end + 1:]
    if tail and not tail.startswith(b" "):
        raise bad
    if path.startswith(b"@"):
        # RFC 5321 4.1.1.3: a source route is accepted and ignored.
        colon = peerlib.find_unquoted(path, b":", 0)
        if colon < 0:
            raise Reply("501 5.1.3 Bad address syntax")
        path = path[colon + 1:]
    return path, tail.split()


def check_mailbox(raw, utf8, allow_postmaster=False):
    """Validate a mailbox (bytes) and return it as str.

    Without utf8 (the SMTPUTF8 MAIL parameter) a non-ASCII mailbox is
    refused with 553 5.6.7; with it, the mailbox must be valid UTF-8 in the
    RFC 6531 grammar.  Anything else not matching the grammar, or longer
    than RFC 5321's limits, is 501 5.1.3.
    """
    try:
        text = peerlib.decode_mailbox(raw, utf8)
        if not (allow_postmaster and text.lower() == "postmaster"):
            peerlib.split_mailbox(text, utf8)
    except peerlib.MailboxError as exc:
        raise Reply(str(exc)) from None
    return text


def parse_mail_params(params, dsn=False):
    """Check MAIL FROM parameters; return (declared size or None, utf8).

    Accepted: SIZE=n (RFC 1870), BODY=7BIT or 8BITMIME (RFC 6152),
    SMTPUTF8 (RFC 6531), AUTH=<mailbox> (RFC 4954, ignored), and with DSN
    RET and ENVID (RFC 3461).  Anything else is 555 5.5.4.
    """
    size = None
    utf8 = False
    for param in params:
        name, eq, value = param.partition(b"=")
        name = name.upper()
        if name == b"SIZE" and eq and value.isdigit() and len(value) <= 20:
            size = int(value)
        elif name == b"BODY" and eq and value.upper() in (b"7BIT",
                                                          b"8BITMIME"):
            pass
        elif name == b"SMTPUTF8" and not eq:
            utf8 = True
        elif name == b"AUTH" and eq and value:
            pass
        elif dsn and name == b"RET" and value.upper() in (b"FULL", b"HDRS"):
            pass
        elif dsn and name == b"ENVID" and eq and value:
            pass
        else:
            raise Reply("555 5.5.4 Unsupported MAIL parameter")
    return size, utf8


def check_rcpt_params(params, dsn):
    """Check RCPT TO parameters: with DSN, NOTIFY (RFC 3461) and ORCPT."""
    for param in params:
        name, eq, value = param.partition(b"=")
        name = name.upper()
        words = value.upper().split(b",")
        if dsn and name == b"NOTIFY" and eq and (words == [b"NEVER"] or (
                words and all(w in (b"SUCCESS", b"FAILURE", b"DELAY")
                              for w in words))):
            continue
        if dsn and name == b"ORCPT" and eq and value:
            continue
        raise Reply("555 5.5.4 Unsupported RCPT parameter")


def decode_sasl(data):
    """Decode one base64 SASL response (bytes); raise AuthAbort on "*"."""
    data = data.strip(b" \t")
    if data == b"*":
        raise AuthAbort("501 5.0.0 Authentication cancelled")
    if data == b"=":
        return b""   # RFC 4954: "=" is an empty initial response
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise AuthAbort("501 5.5.2 Cannot decode response") from None


# --------------------------------------------------------------------------
# Message storage
# --------------------------------------------------------------------------

class MessageSink:
    """Where the octets of one DATA go: a temporary file in the spool (or
    nowhere without --spool), with the size counted and --max-size applied.

    Nothing is visible under a final name until commit(); discard() removes
    the temporary file and is safe to call at any time.
    """

    def __init__(self, spool, tmp_name, max_size):
        self.spool = spool
        self.max_size = max_size
        self.size = 0
        self.too_big = False
        self.error = None
        self.tmp = None
        self.file = None
        if spool is not None:
            self.tmp = os.path.join(spool, tmp_name)
            try:
                self.file = open(self.tmp, "wb")
            except OSError as exc:
                self.fail(exc)

    def fail(self, exc):
        """Remember a storage error; stop writing."""
        if self.error is None:
            self.error = exc
            err(f"cannot store message: {exc}")
        self.discard()

    def write(self, chunk):
        """Add message octets."""
        self.size += len(chunk)
        if self.max_size is not None and self.size > self.max_size:
            if not self.too_big:
                self.too_big = True
                self.discard()
            return
        if self.file is not None:
            try:
                self.file.write(chunk)
            except OSError as exc:
                self.fail(exc)

    def commit(self, number, envelope):
        """Store the message as NNNN.eml with NNNN.env beside it.

        The .env file is renamed into place first, the .eml last, so a test
        that sees NNNN.eml can read NNNN.env.  Raises OSError.
        """
        if self.spool is None:
            return
        self.file.close()
        self.file = None
        base = os.path.join(self.spool, f"{number:04d}")
        env_tmp = os.path.join(self.spool, f".{number:04d}.env.tmp")
        with open(env_tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(envelope, ensure_ascii=False) + "\n")
        os.replace(env_tmp, base + ".env")
        os.replace(self.tmp, base + ".eml")
        self.tmp = None

    def discard(self):
        """Close and remove the temporary file, if any."""
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
            self.file = None
        if self.tmp is not None:
            peerlib.remove_quietly(self.tmp)
            self.tmp = None


# --------------------------------------------------------------------------
# One SMTP session
# --------------------------------------------------------------------------

class Session(peerlib.LineSession):
    """One client connection: reads commands, writes replies.

    State: self.tls (TLS is active), self.ehlo (EHLO, not HELO, was given
    since the connection or STARTTLS), self.helo (HELO or EHLO),
    self.auth_user (name after a successful AUTH) and the mail transaction
    (self.mail_from, self.rcpt_to, ...).  Line reading and the STARTTLS
    plumbing come from peerlib.LineSession.
    """

    def __init__(self, server, reader, writer, tls):
        super().__init__(server, reader, writer, tls)
        self.auth_user = None
        self.getk_asked = False  # --drop-after-getk: a GETK was answered
        self.reset_transaction()

    def reset_transaction(self):
        """Forget MAIL and RCPT (RSET, EHLO, HELO, STARTTLS, after DATA)."""
        self.mail_from = None   # str once MAIL was accepted ("" for <>)
        self.smtputf8 = False
        self.rcpt_to = []
        self.rcpt_tried = 0

    # ---------------------------------------------------------------- I/O

    def write(self, *lines):
        """Queue complete reply lines (str, without CRLF) for sending."""
        self.writer.write("".join(line + "\r\n" for line in lines)
                          .encode("utf-8"))

    async def pause(self):
        """--delay-ms: flush what is queued, then wait before a reply."""
        if self.opts.delay_ms:
            await self.writer.drain()
            await asyncio.sleep(self.opts.delay_ms / 1000)

    async def reply(self, *lines):
        """Send a reply (one or more lines), after --delay-ms."""
        await self.pause()
        self.write(*lines)

    async def fail(self, text):
        """Send a --fail-* reply; a 421 then closes the connection.

        Under --control-text the text carries CONTROL_TEXT as well.
        """
        if self.opts.control_text:
            text += " " + peerlib.CONTROL_TEXT
        await self.reply(text)
        if text.startswith("421"):
            self.done = True

    async def receive_data(self, sink):
        """Read message data up to CRLF "." CRLF into sink.

        Dot-stuffing is undone (RFC 5321 4.5.2: a line that starts with "."
        loses that first "."); every other octet, bare CR and LF included,
        is passed on as received.  A line starts at the beginning of the
        data and after each CRLF.  The data is processed in chunks as it
        arrives; only the few octets that may start the terminator are held
        back.  Octets after the terminator (pipelined commands) stay in
        self.buf.  Returns True at the terminator, False at EOF.
        """
        # A virtual CRLF in front makes the first line like all others;
        # its two octets are not passed on.
        buf = b"\r\n" + bytes(self.buf)
        self.buf.clear()
        skip = 2
        i = 0

        def emit(chunk):
            nonlocal skip
            if skip:
                cut = min(skip, len(chunk))
                chunk = chunk[cut:]
                skip -= cut
            if chunk:
                sink.write(chunk)

        while True:
            j = buf.find(b"\r\n.", i)
            if j < 0:
                # Hold back a CR or CRLF at the end: it may start "\r\n.".
                k = len(buf)
                if buf.endswith(b"\r\n"):
                    k -= 2
                elif buf.endswith(b"\r"):
                    k -= 1
                k = max(k, i)
                emit(buf[i:k])
                buf = buf[k:]
                i = 0
            else:
                after = buf[j + 3:j + 5]
                if after == b"\r\n":
                    emit(buf[i:j + 2])    # the CRLF ends the last line
                    self.buf += buf[j + 5:]
                    return True
                if after in (b"", b"\r"):
                    emit(buf[i:j])        # could be the terminator: wait
                    buf = buf[j:]
                    i = 0
                else:
                    emit(buf[i:j + 2])    # a stuffed line: drop the "."
                    i = j + 3
                    continue
            data = await self.reader.read(READ_CHUNK)
            if not data:
                return False
            buf += data

    async def swallow(self):
        """Answer nothing; read until the client closes the connection
        (--hang-after-dot)."""
        await self.writer.drain()
        while await self.reader.read(READ_CHUNK):
            pass

    # ------------------------------------------------------------ session

    async def run(self):
        """Serve the connection until QUIT, EOF, a 421 or a fatal error."""
        await self.reply(f"220 {self.opts.hostname} ESMTP getk-relay-test")
        while not self.done:
            item = await self.next_line(MAX_AUTH_LINE)
            if item is None:
                return
            line, too_long = item
            is_auth = line.partition(b" ")[0].upper() == b"AUTH"
            # The mechanism stays readable (tests check it); any initial
            # response is redacted.
            mech = line.split(b" ")[1:2] if is_auth else []
            self.server.log.record(
                b"AUTH " + b"".join(mech) + b" <redacted>" if is_auth else line,
                self.tls)
            await self.check_connected()
            if too_long or (not is_auth
                            and len(line) + 2 > MAX_COMMAND_LINE):
                await self.reply("500 5.5.2 Line too long")
                continue
            await self.dispatch(line)
        await self.writer.drain()

    async def dispatch(self, line):
        """Run one command line (bytes, without CRLF)."""
        verb, _, arg = line.partition(b" ")
        verb = verb.decode("ascii", "replace").upper()
        handler = {
            "EHLO": self.cmd_ehlo,
            "HELO": self.cmd_helo,
            "STARTTLS": self.cmd_starttls,
            "AUTH": self.cmd_auth,
            "NOOP": self.cmd_noop,
            "RSET": self.cmd_rset,
            "QUIT": self.cmd_quit,
            "MAIL": self.cmd_mail,
            "RCPT": self.cmd_rcpt,
            "DATA": self.cmd_data,
            "GETK": self.cmd_getk,
        }.get(verb)
        if handler is None:
            await self.reply("500 5.5.2 Command unrecognized")
        else:
            await handler(arg)

    # ------------------------------------------------ what is offered now

    def starttls_offered(self):
        """True if STARTTLS is advertised and accepted in this state."""
        return not self.tls and self.server.tls_context is not None

    def auth_configured(self):
        """True if AUTH exists at all (a --user, and no --no-auth)."""
        return self.opts.user is not None and not self.opts.no_auth

    def auth_offered(self):
        """True if AUTH is advertised in this state (after TLS only)."""
        return self.auth_configured() and self.tls

    def getk_offered(self):
        """True if GETK is advertised in this state: with --getk-keys,
        after TLS only (it is answered only after AUTH, see cmd_getk)."""
        return self.opts.getk_keys is not None and self.tls

    # --------------------------------------------------------- commands

    async def cmd_ehlo(self, arg):
        """EHLO: list the extensions valid in the current state."""
        if not arg.strip():
            await self.reply("501 5.5.4 Syntax: EHLO hostname")
            return
        self.helo = self.ehlo = True
        self.reset_transaction()
        exts = ["PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"]
        if self.opts.dsn:
            exts.append("DSN")
        if self.opts.max_size is not None:
            exts.append(f"SIZE {self.opts.max_size}")
        if self.starttls_offered():
            exts.append("STARTTLS")
        if self.auth_offered():
            exts.append("AUTH PLAIN LOGIN")
        if self.getk_offered():
            exts.append("GETK OPENPGP")
        lines = [self.opts.hostname] + exts
        await self.reply(*(f"250-{x}" for x in lines[:-1]),
                         f"250 {lines[-1]}")

    async def cmd_helo(self, arg):
        """HELO: plain SMTP greeting; AUTH then still needs EHLO."""
        if not arg.strip():
            await self.reply("501 5.5.4 Syntax: HELO hostname")
            return
        self.helo = True
        self.ehlo = False
        self.reset_transaction()
        await self.reply(f"250 {self.opts.hostname}")

    async def cmd_starttls(self, arg):
        """STARTTLS: 220, then the TLS handshake, then a fresh session.

        Nothing is awaited between queueing the 220 and handing the
        transport to TLS, so the client's ClientHello is never read as
        SMTP.  Plain text the client pipelined after STARTTLS is logged and
        discarded (RFC 3207 section 4.2), never carried into the TLS session.
        """
        if self.tls:
            await self.reply("503 5.5.1 TLS already active")
            return
        if self.server.tls_context is None:
            await self.reply("454 4.7.0 TLS not available")
            return
        if arg.strip():
            await self.reply("501 5.5.4 Syntax error (no parameters allowed)")
            return
        await self.writer.drain()
        await self.pause()
        self.discard_cleartext()
        self.write("220 2.0.0 Ready to start TLS")
        if await self.handshake(ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT):
            self.auth_user = None
            self.reset_transaction()

    async def cmd_auth(self, arg):
        """AUTH PLAIN / AUTH LOGIN (RFC 4954), with or without an initial
        response.  Offered only after TLS, with --user, without --no-auth.
        """
        if not self.ehlo:
            await self.reply("503 5.5.1 Send EHLO first")
        elif not self.auth_configured():
            await self.reply("502 5.5.1 Command not implemented")
        elif not self.tls:
            await self.reply("538 5.7.11 Encryption required for requested "
                             "authentication mechanism")
        elif self.auth_user is not None:
            await self.reply("503 5.5.1 Already authenticated")
        elif self.mail_from is not None:
            await self.reply("503 5.5.1 AUTH not permitted during a mail "
                             "transaction")
        else:
            parts = arg.split()
            if not 1 <= len(parts) <= 2:
                await self.reply("501 5.5.4 Syntax: AUTH mechanism "
                                 "[initial-response]")
                return
            mech = parts[0].upper()
            initial = parts[1] if len(parts) == 2 else None
            try:
                if mech == b"PLAIN":
                    ok, user = await self.auth_plain(initial)
                elif mech == b"LOGIN":
                    ok, user = await self.auth_login(initial)
                else:
                    raise AuthAbort("504 5.5.4 Unrecognized authentication "
                                    "type")
            except AuthAbort as abort:
                if abort.reply is None:
                    self.done = True
                else:
                    await self.reply(abort.reply)
                return
            if ok:
                self.auth_user = user
                await self.reply("235 2.7.0 Authentication successful")
            else:
                await self.reply("535 5.7.8 Authentication credentials "
                                 "invalid")

    async def sasl_response(self, challenge):
        """Send "334 challenge" and return the client's decoded answer."""
        await self.reply(f"334 {challenge}")
        item = await self.next_line(MAX_AUTH_LINE)
        if item is None:
            raise AuthAbort(None)
        line, too_long = item
        self.server.log.record(b"<redacted>", self.tls)
        if too_long:
            raise AuthAbort("500 5.5.6 Authentication exchange line is "
                            "too long")
        return decode_sasl(line)

    async def auth_plain(self, initial):
        """RFC 4616: [authzid] NUL authcid NUL passwd."""
        if initial is None:
            response = await self.sasl_response("")
        else:
            response = decode_sasl(initial)
        parts = response.split(b"\0")
        if len(parts) != 3:
            raise AuthAbort("501 5.5.2 Cannot decode response")
        authzid, authcid, password = parts
        ok = (authzid in (b"", authcid)
              and self.server.check_credentials(authcid, password))
        return ok, authcid.decode("utf-8", "replace")

    async def auth_login(self, initial):
        """The LOGIN mechanism: user name, then password, both base64."""
        if initial is None:
            user = await self.sasl_response("VXNlcm5hbWU6")   # Username:
        else:
            user = decode_sasl(initial)
        password = await self.sasl_response("UGFzc3dvcmQ6")   # Password:
        ok = self.server.check_credentials(user, password)
        return ok, user.decode("utf-8", "replace")

    async def cmd_noop(self, arg):
        """NOOP.  Under --drop-after-getk, the NOOP after a GETK is the
        session's last word: the connection is closed after its 250, as
        a relay drops a session that waited too long."""
        await self.reply("250 2.0.0 OK")
        if self.opts.drop_after_getk and self.getk_asked:
            self.done = True

    async def cmd_rset(self, arg):
        """RSET: drop the mail transaction."""
        self.reset_transaction()
        await self.reply("250 2.0.0 OK")

    async def cmd_quit(self, arg):
        """QUIT: 221 and close."""
        await self.reply("221 2.0.0 Bye")
        self.done = True

    async def cmd_getk(self, arg):
        """GETK as a submission proxy (GETK.md section 7), with --getk-keys.

        Without --getk-keys the relay does not know GETK (500, as for any
        unknown command).  Then, in order: no EHLO 503; no TLS 530 (GETK
        is never answered in clear text, whatever --allow-plain says);
        --user set and no successful AUTH (also under --no-auth) 530 5.7.0
        Authentication required; then the argument and the key directory
        exactly as getk-server.py's --keys.  A GETK changes no state; it
        may come inside a mail transaction.
        """
        if self.opts.getk_keys is None:
            await self.reply("500 5.5.2 Command unrecognized")
        elif not self.ehlo:
            await self.reply("503 5.5.1 Send EHLO first")
        elif not self.tls:
            await self.reply("530 5.7.0 Must issue a STARTTLS command first")
        elif self.opts.user is not None and self.auth_user is None:
            await self.reply("530 5.7.0 Authentication required")
        else:
            self.getk_asked = True
            await self.reply(*self.getk_lookup(arg))

    def getk_lookup(self, arg):
        """The reply lines for a GETK that passed the state checks."""
        try:
            raw, params = peerlib.split_getk_argument(arg)
            utf8 = peerlib.parse_getk_params(params)
            local, domain = peerlib.parse_getk_mailbox(raw, utf8)
            key = peerlib.find_key(self.opts.getk_keys, local, domain)
            if key is None:
                raise peerlib.ReplyError(550, "5.7.0", "No key available")
        except peerlib.ReplyError as r:
            return [str(r)]
        except peerlib.KeyDirUnavailable as exc:
            err(f"GETK key directory unavailable: {exc}")
            return ["451 4.4.3 Key directory temporarily unavailable"]
        return peerlib.getk_success_reply(len(key),
                                          peerlib.getk_base64_lines(key))

    async def cmd_mail(self, arg):
        """MAIL FROM: state checks, TLS and AUTH policy, syntax, --fail-mail,
        SIZE, in that order."""
        opts = self.opts
        if not self.helo:
            await self.reply("503 5.5.1 Send HELO/EHLO first")
            return
        if self.mail_from is not None:
            await self.reply("503 5.5.1 Nested MAIL command")
            return
        if opts.require_tls and not self.tls:
            await self.reply("530 5.7.0 Must issue a STARTTLS command first")
            return
        if opts.user is not None and self.auth_user is None:
            await self.reply("530 5.7.0 Authentication required")
            return
        try:
            path, params = split_path(arg, b"FROM:", "MAIL FROM:<address>")
            size, utf8 = parse_mail_params(params, self.opts.dsn)
            mail_from = check_mailbox(path, utf8) if path else ""
        except Reply as r:
            await self.reply(r.text)
            return
        if opts.fail_mail is not None:
            await self.fail(opts.fail_mail)
            return
        if (opts.max_size is not None and size is not None
                and size > opts.max_size):
            await self.reply("552 5.3.4 Message too big")
            return
        self.mail_from = mail_from
        self.smtputf8 = utf8
        if opts.extra_after_mail:
            # One reply too many: a client that does not count replies
            # reads every later one as the answer to the wrong command.
            await self.reply("250 2.1.0 Ok", "250 2.1.0 Ok")
        else:
            await self.reply("250 2.1.0 Ok")

    async def cmd_rcpt(self, arg):
        """RCPT TO: syntax, then --fail-rcpt-for, then --fail-rcpt."""
        opts = self.opts
        if self.mail_from is None:
            await self.reply("503 5.5.1 Need MAIL command")
            return
        try:
            path, params = split_path(arg, b"TO:", "RCPT TO:<address>")
            check_rcpt_params(params, self.opts.dsn)
            if not path:
                raise Reply("501 5.1.3 Bad address syntax")
            rcpt = check_mailbox(path, self.smtputf8, allow_postmaster=True)
        except Reply as r:
            await self.reply(r.text)
            return
        self.rcpt_tried += 1
        specific = self.server.fail_rcpt_for.get(rcpt.lower())
        if specific is not None and self.server.refuse_again(rcpt):
            await self.fail(specific)
        elif (specific is None and opts.fail_rcpt is not None
              and self.server.refuse_again(rcpt)):
            await self.fail(opts.fail_rcpt)
        elif len(self.rcpt_to) >= MAX_RECIPIENTS:
            await self.reply("452 4.5.3 Too many recipients")
        else:
            self.rcpt_to.append(rcpt)
            await self.reply("250 2.1.5 Ok")

    async def cmd_data(self, arg):
        """DATA: stream the message to the spool, then answer for it."""
        opts = self.opts
        if self.mail_from is None:
            await self.reply("503 5.5.1 Need MAIL command")
            return
        if not self.rcpt_to:
            if self.rcpt_tried:
                await self.reply("554 5.5.1 No valid recipients")
            else:
                await self.reply("503 5.5.1 Need RCPT command")
            return
        if arg.strip():
            await self.reply("501 5.5.4 Syntax: DATA (no parameters)")
            return
        if opts.fail_data_cmd is not None:
            await self.fail(opts.fail_data_cmd)
            return
        if opts.data_250:
            # A broken relay: "250" where DATA calls for 354.  Nothing is
            # read as message data and nothing is stored.
            self.reset_transaction()
            await self.reply("250 2.0.0 Ok")
            return
        lost = (opts.close_after_dot or opts.hang_after_dot
                or opts.unsolicited_before_dot)
        spool = opts.spool if opts.fail_data is None and not lost else None
        sink = MessageSink(spool, self.server.temp_name(), opts.max_size)
        try:
            if opts.unsolicited_before_dot:
                # A line no command asked for, sent with the 354: it is
                # there before the client sends the final dot.
                await self.reply("354 End data with <CR><LF>.<CR><LF>",
                                 "250 2.0.0 Ok: queued as 9999")
            else:
                await self.reply("354 End data with <CR><LF>.<CR><LF>")
            await self.writer.drain()
            if not await self.receive_data(sink):
                self.done = True      # EOF in the middle: store nothing
                return
            self.server.log.record(b".", self.tls)
            if opts.close_after_dot:
                self.done = True      # no reply at all: close
                return
            if opts.hang_after_dot:
                await self.swallow()  # no reply: wait for the client
                self.done = True
                return
            if opts.unsolicited_before_dot:
                # The message came whole although the client had its
                # line before the dot: a client that counts replies never
                # gets here.  Nothing is stored; the reply it gets now is
                # one too many again.
                await self.reply("554 5.5.1 Message stored nowhere")
            elif opts.fail_data is not None:
                await self.fail(opts.fail_data)
            elif sink.too_big:
                await self.reply("552 5.3.4 Message too big")
            elif sink.error is not None:
                await self.reply("451 4.3.0 Cannot store message")
            else:
                envelope = {
                    "mail_from": self.mail_from,
                    "rcpt_to": list(self.rcpt_to),
                    "auth_user": self.auth_user,
                    "tls": self.tls,
                    "size": sink.size,
                }
                number = self.server.next_number()
                try:
                    sink.commit(number, envelope)
                except OSError as exc:
                    sink.fail(exc)
                    await self.reply("451 4.3.0 Cannot store message")
                else:
                    await self.reply(f"250 2.0.0 Ok: queued as {number:04d}")
        finally:
            sink.discard()
            self.reset_transaction()


# --------------------------------------------------------------------------
# The server: listening socket, sessions, spool numbering, shutdown
# --------------------------------------------------------------------------

class RelayServer(peerlib.PeerServer):
    """Listening socket plus the set of running sessions (peerlib)."""

    def __init__(self, opts):
        super().__init__(opts)
        self.fail_rcpt_for = {}
        for addr, reply in opts.fail_rcpt_for or []:
            if addr.startswith("<") and addr.endswith(">"):
                addr = addr[1:-1]
            self.fail_rcpt_for[addr.lower()] = reply
        self.user = None if opts.user is None else opts.user.encode()
        self.password = (None if opts.password is None
                         else opts.password.encode())
        self.number = 0
        self.temp_count = 0
        self.refused = {}
        if opts.spool is not None:
            os.makedirs(opts.spool, exist_ok=True)
            self.number = last_spool_number(opts.spool)
        self.log = peerlib.CommandLog(opts.log, MAX_LOG_LINE)

    def refuse_again(self, rcpt):
        """Whether a --fail-rcpt(-for) refusal of rcpt applies this time:
        always, or under --fail-times N only to its first N RCPT TOs."""
        if self.opts.fail_times is None:
            return True
        key = rcpt.lower()
        self.refused[key] = self.refused.get(key, 0) + 1
        return self.refused[key] <= self.opts.fail_times

    def check_credentials(self, user, password):
        """True if user and password (bytes) are --user and --password."""
        return user == self.user and password == self.password

    def next_number(self):
        """Number of the next stored message (1, 2, ...)."""
        self.number += 1
        return self.number

    def temp_name(self):
        """A fresh temporary file name in the spool (hidden, not *.eml)."""
        self.temp_count += 1
        return f".incoming.{os.getpid()}.{self.temp_count}.tmp"

    def new_session(self, reader, writer):
        """The session for a new connection (TLS at once under
        --implicit-tls)."""
        return Session(self, reader, writer, self.opts.implicit_tls)

    async def start(self):
        """Bind and listen; return the port actually bound."""
        if self.opts.implicit_tls:
            return await super().start(
                ssl=self.tls_context,
                ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT)
        return await super().start()


def last_spool_number(spool):
    """Highest NNNN of the NNNN.eml files already in spool, or 0."""
    highest = 0
    for name in os.listdir(spool):
        m = re.fullmatch(r"([0-9]+)\.eml", name)
        if m:
            highest = max(highest, int(m.group(1)))
    return highest


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def parse_args(argv):
    """Parse the command line (see --help)."""
    p = argparse.ArgumentParser(
        prog="relay.py",
        description="SMTP submission relay for getk-sendmail's tests: "
                    "STARTTLS or implicit TLS, AUTH PLAIN/LOGIN, messages "
                    "stored in a spool directory, GETK with --getk-keys. "
                    "Listen on loopback.")
    g = p.add_argument_group("normal operation")
    peerlib.add_listen_options(g)
    g.add_argument("--hostname", default="relay.example.org", metavar="NAME",
                   help="name in the greeting and EHLO reply "
                        "(default relay.example.org)")
    g.add_argument("--cert", metavar="FILE",
                   help="PEM certificate (chain) for STARTTLS or implicit "
                        "TLS")
    g.add_argument("--key", metavar="FILE",
                   help="PEM private key for --cert")
    g.add_argument("--implicit-tls", action="store_true",
                   help="TLS from the first byte (port 465 style); no "
                        "STARTTLS")
    g.add_argument("--require-tls", dest="require_tls", action="store_true",
                   default=True,
                   help="MAIL before TLS gets 530 (the default)")
    g.add_argument("--allow-plain", dest="require_tls", action="store_false",
                   help="accept MAIL without TLS")
    g.add_argument("--user", metavar="NAME",
                   help="AUTH user; MAIL then needs a successful AUTH")
    g.add_argument("--password", metavar="PW", help="AUTH password")
    g.add_argument("--no-auth", action="store_true",
                   help="never offer or accept AUTH (MAIL still needs it "
                        "when --user is set, so it always gets 530)")
    g.add_argument("--spool", metavar="DIR",
                   help="store accepted messages as DIR/NNNN.eml with the "
                        "envelope in DIR/NNNN.env (JSON)")
    g.add_argument("--max-size", type=int, metavar="N",
                   help="advertise SIZE N; bigger messages get 552")
    g.add_argument("--dsn", action="store_true",
                   help="advertise DSN (RFC 3461): accept RET and ENVID on "
                        "MAIL, NOTIFY and ORCPT on RCPT (see the log)")
    g.add_argument("--getk-keys", metavar="DIR",
                   help="be a GETK proxy (GETK.md section 7): advertise "
                        "\"GETK OPENPGP\" after TLS, answer GETK after AUTH "
                        "(530 before) from DIR/local@domain (binary keys; "
                        "exact local part, then lowercased; missing: 550 "
                        "5.7.0 No key available), as getk-server.py --keys")
    g.add_argument("--log", metavar="FILE",
                   help="append every command line received; '[TLS] ' "
                        "prefix once TLS is active; AUTH redacted")
    g.add_argument("--delay-ms", type=int, default=0, metavar="N",
                   help="sleep N ms before every reply")
    g.add_argument("--drop-after-getk", action="store_true",
                   help="close a session, without a word, after the "
                        "250 to the first NOOP that follows an answered "
                        "GETK")

    f = p.add_argument_group("refusals (REPLY is one line, 4xx or 5xx; "
                             "a 421 then closes the connection)")
    f.add_argument("--fail-mail", metavar="REPLY",
                   help="answer every MAIL FROM with REPLY")
    f.add_argument("--fail-rcpt", metavar="REPLY",
                   help="answer every RCPT TO with REPLY")
    f.add_argument("--fail-rcpt-for", nargs=2, action="append",
                   metavar=("ADDR", "REPLY"),
                   help="answer RCPT TO:<ADDR> (any case) with REPLY; "
                        "repeatable")
    f.add_argument("--fail-times", type=int, metavar="N",
                   help="--fail-rcpt and --fail-rcpt-for refuse each "
                        "recipient's first N RCPT TOs only, then accept it "
                        "(greylisting); default: always")
    f.add_argument("--fail-data", metavar="REPLY",
                   help="read the message, then answer the end of DATA "
                        "with REPLY and store nothing")
    f.add_argument("--fail-data-cmd", metavar="REPLY",
                   help="answer the DATA command itself with REPLY")
    f.add_argument("--control-text", action="store_true",
                   help="every --fail-* REPLY also carries an ESC "
                        "sequence and a bare CR in its text")

    h = p.add_argument_group("broken relays (nothing is ever stored)")
    h.add_argument("--data-250", action="store_true",
                   help="answer DATA with \"250 2.0.0 Ok\" instead of 354")
    h.add_argument("--extra-after-mail", action="store_true",
                   help="answer MAIL FROM with two 250 lines: one reply "
                        "too many")
    h.add_argument("--unsolicited-before-dot", action="store_true",
                   help="send \"250 2.0.0 Ok: queued as 9999\" right "
                        "after the 354, before the client's final dot; "
                        "a message that still comes whole gets 554")
    h.add_argument("--close-after-dot", action="store_true",
                   help="read the message, then close the connection "
                        "without a reply")
    h.add_argument("--hang-after-dot", action="store_true",
                   help="read the message, then never reply")

    opts = p.parse_args(argv)
    if bool(opts.cert) != bool(opts.key):
        p.error("--cert and --key go together")
    if opts.implicit_tls and not opts.cert:
        p.error("--implicit-tls needs --cert and --key")
    if (opts.user is None) != (opts.password is None):
        p.error("--user and --password go together")
    if opts.user is not None and not opts.user:
        p.error("--user must not be empty")
    replies = [("--fail-mail", opts.fail_mail),
               ("--fail-rcpt", opts.fail_rcpt),
               ("--fail-data", opts.fail_data),
               ("--fail-data-cmd", opts.fail_data_cmd)]
    replies += [("--fail-rcpt-for", r) for _, r in opts.fail_rcpt_for or []]
    for name, reply in replies:
        if reply is not None and not FAIL_REPLY.match(reply):
            p.error(f"{name}: REPLY must be one line starting with a 4xx or "
                    f"5xx code, like \"451 4.3.0 Try again later\"")
    if opts.max_size is not None and opts.max_size < 1:
        p.error("--max-size must be >= 1")
    if opts.delay_ms < 0:
        p.error("--delay-ms must be >= 0")
    if opts.fail_times is not None and opts.fail_times < 1:
        p.error("--fail-times must be >= 1")
    peerlib.check_listen_options(p, opts)
    return opts


def startup_warnings(opts):
    """Warn, once listening, about options that refuse every MAIL or GETK."""
    if opts.cert is None:
        if opts.require_tls:
            err("warning: no --cert, STARTTLS unavailable; every MAIL will "
                "get 530 (add --allow-plain?)")
        if opts.user is not None and not opts.no_auth:
            err("warning: no --cert, so AUTH is never offered; every MAIL "
                "will get 530")
        if opts.getk_keys is not None:
            err("warning: no --cert, so GETK is never offered; every GETK "
                "will get 530")


def main(argv=None):
    """Entry point: run until SIGTERM or SIGINT (see peerlib.serve)."""
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    return asyncio.run(peerlib.serve(
        opts, RelayServer,
        "load TLS certificate, create the spool or open the log",
        startup_warnings))


if __name__ == "__main__":
    sys.exit(main())
