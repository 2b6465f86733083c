# ports.sh: free_port, for tests/lib.sh and the peers' shell scripts.
# Sourced; needs PYTHON3.

# free_port: a port that was free a moment ago, for UDP and TCP both.
# (A UDP port the kernel picks may be taken for TCP: try until both
# bind.  -S: no site module, a faster start.)
free_port() {
	"$PYTHON3" -S -c 'import socket
for attempt in range(50):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        # The TCP port is taken (by another test): pick again.
        continue
    finally:
        s.close()
        t.close()
    print(port)
    break
else:
    raise SystemExit("no free port")'
}
