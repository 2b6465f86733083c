#!/usr/bin/python3
"""maps.py: the shared objects a program has mapped when it is done.

usage: maps.py OUT -- PROGRAM ARGS...

Runs PROGRAM with its standard output on a pipe that is full before it
starts, so that its first write blocks: by then it has done its work and
mapped whatever it loads.  Writes the paths of its mapped files
(/proc/PID/maps) to OUT, one a line, then drains the pipe, and exits with
PROGRAM's exit status.  A program that exits without writing is read
just before it is reaped (it stays a zombie until waited for, but its
maps are gone then, so OUT is empty: the test sees that).
"""
import fcntl
import os
import subprocess
import sys
import time


def main():
    out = sys.argv[1]
    argv = sys.argv[sys.argv.index("--") + 1:]
    r, w = os.pipe()
    # Fill the pipe: the program's first write blocks.
    os.set_blocking(w, False)
    filled = 0
    try:
        while True:
            filled += os.write(w, b"\0" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(w, True)
    p = subprocess.Popen(argv, stdout=w, stdin=subprocess.DEVNULL)
    os.close(w)
    maps = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/wchan" % p.pid) as f:
                wchan = f.read()
            with open("/proc/%d/stat" % p.pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open("/proc/%d/syscall" % p.pid) as f:
                call = f.read().split()
        except OSError:
            break
        if state == "Z":
            break
        # Blocked in write(2) or writev(2) on the full pipe.
        if state == "S" and ("pipe" in wchan or call[:1] in (["1"], ["20"])):
            try:
                with open("/proc/%d/maps" % p.pid) as f:
                    for line in f:
                        parts = line.split(None, 5)
                        if len(parts) == 6 and parts[5].startswith("/"):
                            maps.add(parts[5].strip())
            except OSError:
                pass
            break
        time.sleep(0.005)
    with open(out, "w") as f:
        for m in sorted(maps):
            f.write(m + "\n")
    # Drain: the zeros first, then what the program wrote.
    fcntl.fcntl(r, fcntl.F_SETFL, 0)
    while os.read(r, 65536):
        pass
    sys.exit(p.wait())


main()
