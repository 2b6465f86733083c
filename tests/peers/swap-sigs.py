#!/usr/bin/env python3
"""swap-sigs.py IN OUT CLASS: swap the two signatures of class CLASS.

Reads the OpenPGP packets of IN (binary), finds the two version 4
signature packets of signature class CLASS (hex, say 18 for subkey
bindings or 28 for subkey revocations), swaps them and writes OUT: each
then sits under the wrong subkey, as keyservers once left them and as
gpg's import option repair-keys puts right.  Fails when IN does not
hold exactly two such signatures.
"""
import sys


def packets(data):
    """Yield (tag, raw packet, body) for each packet of DATA."""
    i = 0
    while i < len(data):
        ctb = data[i]
        if not ctb & 0x80:
            sys.exit(f"swap-sigs: no packet at octet {i}")
        if ctb & 0x40:
            tag, n = ctb & 0x3F, data[i + 1]
            if n < 192:
                hlen = 2
            elif n < 224:
                n, hlen = ((n - 192) << 8) + data[i + 2] + 192, 3
            else:
                n, hlen = int.from_bytes(data[i + 2:i + 6], "big"), 6
        else:
            tag, hlen = (ctb >> 2) & 15, 1 + (1, 2, 4)[ctb & 3]
            n = int.from_bytes(data[i + 1:i + hlen], "big")
        yield tag, data[i:i + hlen + n], data[i + hlen:i + hlen + n]
        i += hlen + n


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    with open(sys.argv[1], "rb") as f:
        pkts = list(packets(f.read()))
    cls = int(sys.argv[3], 16)
    at = [k for k, (tag, _, body) in enumerate(pkts)
          if tag == 2 and len(body) > 1 and body[0] == 4 and body[1] == cls]
    if len(at) != 2:
        sys.exit(f"swap-sigs: {len(at)} signatures of class {cls:#x}, "
                 "not 2")
    a, b = at
    pkts[a], pkts[b] = pkts[b], pkts[a]
    with open(sys.argv[2], "wb") as f:
        f.write(b"".join(raw for _, raw, _ in pkts))


main()
