"""tests/peers/smtpclient.py: a small SMTP client for the getkd tests.

Scripted sessions need what smtplib hides: one write of many pipelined
commands, replies read one at a time in order, raw bytes (NUL, bare LF,
over-long lines), a TLS handshake that stops half-way, timing.  The
tests (tests/lib.sh "smtp") import this module; the environment gives
PORT (getkd's), CA (the test CA file) and T (the test directory).
Standard library only; Debian's /usr/bin/python3.
"""
import os
import socket
import ssl
import sys
import time

PORT = int(os.environ.get("PORT", "25"))
CA = os.environ.get("CA", "")
T = os.environ.get("T", "")


class Session:
    """One SMTP session: a socket, TLS once started, a read buffer."""

    def __init__(self, host="127.0.0.1", port=None, source=None, timeout=10):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port or PORT))
        self.buf = b""
        self.tls = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """The next reply: (code, [text of each line])."""
        lines = []
        while True:
            line = self.readline()
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), lines

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, wait=5):
        """True when the server closed the connection (EOF) in WAIT s."""
        self.sock.settimeout(wait)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (ConnectionError, ssl.SSLError):
            return True
        except socket.timeout:
            return False

    def starttls(self, name="mx.example.org"):
        """STARTTLS and the handshake; the server's certificate (DER)."""
        code, _ = self.cmd("STARTTLS")
        if code != 220:
            raise RuntimeError("STARTTLS refused: %d" % code)
        ctx = ssl.create_default_context(cafile=CA)
        self.sock = ctx.wrap_socket(self.sock, server_hostname=name)
        self.tls = True
        return self.sock.getpeercert(binary_form=True)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def connect(**kw):
    """A session past the greeting, which is in .greeting."""
    s = Session(**kw)
    s.greeting = s.reply()
    return s


def ready(**kw):
    """A session after EHLO, STARTTLS and the second EHLO (in .ehlo)."""
    s = connect(**kw)
    s.cmd("EHLO client.example.net")
    s.starttls()
    s.ehlo = s.cmd("EHLO client.example.net")
    return s


def check(cond, desc, *diag):
    """One TAP result for tests/lib.sh: "ok DESC" or "not ok DESC"."""
    print(("ok " if cond else "not ok ") + desc)
    if not cond:
        for d in diag:
            print("# " + str(d))
    sys.stdout.flush()
    return cond


def rss_kb(pid):
    """(VmRSS, VmHWM) of process PID in kB."""
    rss = hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def now():
    return time.monotonic()
