# tests/lib.sh: the integration test harness, sourced by tests/*.test.
#
# It gives each test a private world on loopback: a test CA and server
# certificates (tests/mkcerts.sh), test keys in a private GNUPGHOME
# (tests/mkkeys.sh), a DNS server (dnsmasq) serving the test domains, GETK
# servers (tests/peers/getk-server.py) on free ports, and a getk
# configuration that points at all of them.  Everything started is
# stopped by the EXIT trap.  Results are reported as TAP.
#
# Test domains are example.org/.net/.com: libunbound refuses the RFC 6761
# special-use names (test., invalid., ...) without asking the forwarder.

set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=/usr/bin/python3}"
# Test peers need Debian's python3 (python3-aiosmtpd), not one on PATH.
[ -x /usr/bin/python3 ] && PYTHON3=/usr/bin/python3

GETK_FETCH="$top_builddir/getk-fetch"
GETK_SENDMAIL="$top_builddir/getk-sendmail"
GETKD="$top_builddir/getkd"
T=$(mktemp -d "${TMPDIR:-/tmp}/getk-test.XXXXXX")
export GNUPGHOME="$T/gnupg"
# Nothing of the user's: configuration, cache and keys are the test's.
export HOME="$T/home"
mkdir -p "$HOME"
unset XDG_CONFIG_HOME XDG_STATE_HOME GETK_TEST_NOW
CONF="$T/getk.conf"
PIDS=""
TAP_N=0
TAP_FAILED=0

cleanup() {
	[ "${POSTFIX_DIR:-}" ] && sh "$top_srcdir/tests/peers/postfix.sh" \
		--stop "$POSTFIX_DIR" 2>/dev/null
	[ "${SIGNED_DNS:-}" ] && sh "$top_srcdir/tests/peers/dnssec-zone.sh" \
		--stop "$SIGNED_DNS" 2>/dev/null
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	gpgconf --homedir "$GNUPGHOME" --kill gpg-agent >/dev/null 2>&1
	if [ "${KEEP_TEST_DIR:-}" ]; then
		echo "# test directory kept: $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 99' INT TERM

# --- TAP -----------------------------------------------------------------

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

# skip DESC REASON: a check that cannot run here, reported as a TAP skip
# (counted as skipped, never as passed).
skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

# Prints the plan; call last.
done_testing() {
	echo "1..$TAP_N"
	exit 0
}

# Fails the whole script when the world cannot be set up.
bail() {
	echo "Bail out! $*"
	exit 99
}

# check DESC CMD...: ok when CMD succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# --- fixtures ------------------------------------------------------------

# make_certs NAME...: test CA in $T/pki plus a certificate per NAME.
make_certs() {
	sh "$top_srcdir/tests/mkcerts.sh" "$T/pki" "$@" >"$T/mkcerts.log" 2>&1 ||
		bail "cannot make certificates: $(cat "$T/mkcerts.log")"
}

# make_keys: the test keys of tests/mkkeys.sh in $T/keys.
make_keys() {
	sh "$top_srcdir/tests/mkkeys.sh" "$@" "$GNUPGHOME" "$T/keys" \
		>"$T/mkkeys.log" 2>&1 ||
		bail "cannot make keys: $(cat "$T/mkkeys.log")"
}

# fpr_of MAILBOX: the primary fingerprint tests/mkkeys.sh recorded.
fpr_of() {
	awk -v m="$1" '$1 == m { print $2 }' "$T/keys/fingerprints"
}

# new_key MAILBOX FILE: a new good key (ed25519, cv25519 encryption
# subkey) for MAILBOX in $GNUPGHOME, exported binary to FILE; prints its
# fingerprint.
new_key() {
	gpg --batch --yes --pinentry-mode loopback --passphrase '' \
		--status-fd 1 --quick-gen-key "Test <$1>" ed25519 sign never \
		>"$T/newkey.status" 2>"$T/newkey.err" || bail "cannot make a key for $1"
	nk_fpr=$(awk '$2 == "KEY_CREATED" { print $4; exit }' "$T/newkey.status")
	[ "${#nk_fpr}" = 40 ] || bail "no fingerprint for $1"
	gpg --batch --yes --pinentry-mode loopback --passphrase '' \
		--quick-add-key "$nk_fpr" cv25519 encr never 2>"$T/newkey.err" ||
		bail "cannot add a subkey for $1"
	gpg --batch --export "$nk_fpr" >"$2" 2>"$T/newkey.err"
	[ -s "$2" ] || bail "cannot export the key of $1"
	echo "$nk_fpr"
}

# wkd_path LOCAL DOMAIN: HOST/PATH of the advanced WKD method, as
# https-server.py's switches and $T/www take them.
wkd_path() {
	echo "openpgpkey.$2/.well-known/openpgpkey/$2/hu/$(wkd_hash "$1")"
}

# wkd_publish HOSTPATH FILE: the HTTPS server answers HOSTPATH with FILE.
wkd_publish() {
	mkdir -p "$(dirname "$T/www/$1")"
	cp "$2" "$T/www/$1"
}

# json_top: SOURCE/TRUST/FINGERPRINT of each JSON line of the last fetch
# ("invalid" for a line that is not JSON).
json_top() {
	"$PYTHON3" -c 'import json, sys
for line in open(sys.argv[1]):
    if line.strip():
        try:
            o = json.loads(line)
            print(o["source"] + "/" + o["trust"] + "/" + o["fingerprint"])
        except Exception:
            print("invalid")' "$T/out"
}

# json_sources: the "sources" of each JSON line of the last fetch, as
# sorted SOURCE/TRUST words ("invalid" for a line that is not JSON).
json_sources() {
	"$PYTHON3" -c 'import json, sys
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    try:
        o = json.loads(line)
        print(" ".join(sorted(s["source"] + "/" + s["trust"] for s in o["sources"])))
    except Exception:
        print("invalid")' "$T/out"
}

# armored N: the PGP message of the relay's stored message N, LF line
# ends.
armored() {
	tr -d '\r' <"$(stored "$1")" |
		sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/p'
}

# subkey_id FPR [HOME]: the key ID of the encryption subkey of the key
# FPR, from $GNUPGHOME or HOME.
subkey_id() {
	gpg --homedir "${2:-$GNUPGHOME}" --batch --no-auto-check-trustdb \
		--with-colons --list-keys "$1" 2>/dev/null |
		awk -F: '$1 == "sub" && $12 ~ /e/ { print $5; exit }'
}

# --- peers ---------------------------------------------------------------

. "$top_srcdir/tests/peers/ports.sh"

# wait_file FILE: until FILE exists (10 s at most).
wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
}

# start_dns ARGS...: dnsmasq answering for the test domains, with the given
# extra dnsmasq options (--mx-host=..., --host-record=...).  Names of the
# test domains that are not configured get NXDOMAIN.  Sets DNS_PORT.
start_dns() {
	for attempt in 1 2 3 4 5; do
		DNS_PORT=$(free_port)
		case $DNS_PORT in
		'' | *[!0-9]*) continue ;;
		esac
		dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv \
			--no-hosts --bind-interfaces --listen-address=127.0.0.1 \
			--port="$DNS_PORT" --pid-file= --user="$(id -un)" \
			--log-facility="$T/dnsmasq.log" --log-queries \
			--local=/example.org/example.net/example.com/ \
			"$@" 2>>"$T/dnsmasq.err" &
		pid=$!
		sleep 0.2
		if kill -0 "$pid" 2>/dev/null; then
			PIDS="$PIDS $pid"
			DNS_PID=$pid
			return 0
		fi
	done
	bail "cannot start dnsmasq: $(cat "$T/dnsmasq.err")"
}

# start_getk NAME [SWITCH...]: a GETK server for MX host NAME, with its own
# certificate (or the one given by --cert-name OTHER), serving $T/keys.
# Adds a connect_to line NAME:25 -> the server's port to the config.
start_getk() {
	name=$1
	shift
	certname=$name
	if [ "${1:-}" = "--cert-name" ]; then
		certname=$2
		shift 2
	fi
	rm -f "$T/$name.port"
	"$PYTHON3" "$top_srcdir/tests/peers/getk-server.py" \
		--hostname "$name" --cert "$T/pki/$certname.pem" \
		--key "$T/pki/$certname.key" --keys "$T/keys" \
		--port-file "$T/$name.port" --log "$T/$name.log" "$@" \
		2>>"$T/$name.err" &
	PIDS="$PIDS $!"
	PEER_PIDS="${PEER_PIDS:-} $!"
	wait_file "$T/$name.port" || bail "GETK server $name did not start: $(cat "$T/$name.err")"
	echo "connect_to $name:25:127.0.0.1:$(cat "$T/$name.port")" >>"$T/connect_to"
}

# stop_dns: stops the DNS server of start_dns.
stop_dns() {
	if [ "${SIGNED_DNS:-}" ]; then
		sh "$top_srcdir/tests/peers/dnssec-zone.sh" --stop "$SIGNED_DNS"
		SIGNED_DNS=
		return
	fi
	kill "$DNS_PID" 2>/dev/null
	wait "$DNS_PID" 2>/dev/null
}

# start_signed_dns [--bogus NAME[/TYPE]]... ZONEFILE... [--unsigned ZONEFILE]:
# signs the zones (each names itself in its $ORIGIN line) and serves them
# from unbound in place of dnsmasq (tests/peers/dnssec-zone.sh); sets
# DNS_PORT and TRUST_ANCHORS (give "dns_trust_anchor $TRUST_ANCHORS" to
# write_config).  The next start_dns, scenario or start_signed_dns stops it.
start_signed_dns() {
	[ "${DNS_PID:-}${SIGNED_DNS:-}" ] && stop_dns
	DNS_PID=
	SIGNED_SEQ=$(( ${SIGNED_SEQ:-0} + 1 ))
	dir=$T/zones$SIGNED_SEQ
	opts=
	while [ $# -gt 0 ]; do
		case $1 in
		--bogus) opts="$opts --bogus $2"; shift 2 ;;
		*) break ;;
		esac
	done
	# shellcheck disable=SC2086 # opts: words on purpose
	DNS_PORT=$(sh "$top_srcdir/tests/peers/dnssec-zone.sh" --start $opts \
		"$dir" "$@" 2>"$T/zones.err" | tail -n 1)
	case $DNS_PORT in
	'' | *[!0-9]*) bail "cannot start the DNSSEC server: $(cat "$T/zones.err")" ;;
	esac
	SIGNED_DNS=$dir
	TRUST_ANCHORS=$dir/trust-anchors
}

# zone_file ORIGIN LINE...: writes $T/ORIGIN.zone (SOA, NS and the
# LINEs, for start_signed_dns) and prints its name.
zone_file() {
	origin=$1
	shift
	f=$T/$origin.zone
	{
		echo "\$ORIGIN $origin."
		echo "\$TTL 300"
		echo "@ SOA ns.$origin. admin.$origin. 1 3600 600 86400 300"
		echo "@ NS ns.$origin."
		echo "ns A 127.0.0.1"
		printf '%s\n' "$@"
	} >"$f"
	echo "$f"
}

# tlsa_data SELECTOR CERTFILE: the SHA-256 association data of a TLSA
# record (selector 1: the public key, 0: the whole certificate).
tlsa_data() {
	if [ "$1" = 1 ]; then
		openssl x509 -in "$2" -pubkey -noout | openssl pkey -pubin -outform DER
	else
		openssl x509 -in "$2" -outform DER
	fi | sha256sum | cut -c1-64
}

# openpgpkey_owner LOCAL: the OPENPGPKEY owner label of RFC 7929.
openpgpkey_owner() {
	printf %s "$1" | sha256sum | cut -c1-56
}

# openpgpkey_rr LOCAL KEYFILE: an OPENPGPKEY record line (RFC 3597 form).
openpgpkey_rr() {
	echo "$(openpgpkey_owner "$1")._openpgpkey TYPE61 \\# $(wc -c <"$2") $(od -An -v -tx1 "$2" | tr -d ' \n')"
}

# wkd_hash LOCAL: the WKD hash (z-base-32 of SHA-1 of the lower-cased
# local part).
wkd_hash() {
	printf %s "$1" | "$PYTHON3" -c '
import hashlib, sys
d = hashlib.sha1(sys.stdin.read().lower().encode()).digest()
a = "ybndrfg8ejkmcpqxot1uwisza345h769"
bits = "".join(format(b, "08b") for b in d)
print("".join(a[int(bits[i:i + 5], 2)] for i in range(0, 160, 5)))'
}

# start_https "HOST..." [https-server.py switches]: one HTTPS server on
# loopback for the HOSTs (certificates from $T/pki, files from
# $T/www/HOST/PATH); connect_to lines route HOST:443 to it.
start_https() {
	hosts=$1
	shift
	rm -f "$T/https.port"
	mkdir -p "$T/www"
	"$PYTHON3" "$top_srcdir/tests/peers/https-server.py" \
		--cert-dir "$T/pki" --root "$T/www" \
		--port-file "$T/https.port" --log "$T/https.log" "$@" \
		2>>"$T/https.err" &
	PIDS="$PIDS $!"
	PEER_PIDS="${PEER_PIDS:-} $!"
	wait_file "$T/https.port" || bail "HTTPS server did not start: $(cat "$T/https.err")"
	for h in $hosts; do
		echo "connect_to $h:443:127.0.0.1:$(cat "$T/https.port")" >>"$T/connect_to"
	done
}

# scenario DNSMASQ-ARGS...: a fresh world of peers: the previous DNS and
# GETK servers are stopped, DNS restarts with the given records.  Start
# the GETK servers, then call write_config.
scenario() {
	for p in ${PEER_PIDS:-}; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PEER_PIDS=""
	rm -f "$T/connect_to" "$T"/*.log
	[ "${DNS_PID:-}${SIGNED_DNS:-}" ] && stop_dns
	start_dns "$@"
}

# start_blackhole NAME: accepts TCP for MX host NAME and never answers.
start_blackhole() {
	start_getk "$1" --hang
}

# start_relay [SWITCH...]: the submission relay (tests/peers/relay.py) as
# relay.example.org port 587, storing what it accepts in $T/spool, with
# user "alice" and password "secret" unless switches say otherwise.
# Adds its connect_to line.
start_relay() {
	rm -f "$T/relay.port"
	mkdir -p "$T/spool"
	"$PYTHON3" "$top_srcdir/tests/peers/relay.py" \
		--hostname relay.example.org --cert "$T/pki/relay.example.org.pem" \
		--key "$T/pki/relay.example.org.key" --spool "$T/spool" \
		--port-file "$T/relay.port" --log "$T/relay.log" "$@" \
		2>>"$T/relay.err" &
	PIDS="$PIDS $!"
	PEER_PIDS="${PEER_PIDS:-} $!"
	wait_file "$T/relay.port" || bail "relay did not start: $(cat "$T/relay.err")"
	echo "connect_to relay.example.org:587:127.0.0.1:$(cat "$T/relay.port")" >>"$T/connect_to"
	echo "connect_to relay.example.org:465:127.0.0.1:$(cat "$T/relay.port")" >>"$T/connect_to"
}

# write_config [EXTRA LINES]: the configuration for getk-fetch.
write_config() {
	{
		echo "# written by tests/lib.sh"
		echo "defaults"
		# The harness's defaults, but for the keywords that the EXTRA
		# LINES set in the defaults section (before any "account"):
		# each keyword once, as getk reads the file.
		{
			echo "dns_server 127.0.0.1@$DNS_PORT"
			echo "dns_trust_anchor none"
			echo "tls_trust_file $T/pki/ca.pem"
			echo "timeout ${TEST_TIMEOUT:-5}"
			echo "sources getk"
			echo "state_dir $T/state"
		} | awk -v extra="$(printf '%s\n' "$@")" '
			BEGIN {
				n = split(extra, e, "\n")
				for (i = 1; i <= n; i++) {
					split(e[i], w, " ")
					if (w[1] == "account")
						break
					if (w[1] != "")
						set[w[1]] = 1
				}
			}
			{ split($0, w, " "); if (!(w[1] in set)) print }'
		[ -f "$T/connect_to" ] && cat "$T/connect_to"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$CONF"
	# It may hold a password: getk refuses it readable by others.
	chmod 600 "$CONF"
}

# --- running -------------------------------------------------------------

# fetch ARGS...: runs getk-fetch with the test config; stdout in $T/out,
# stderr in $T/err, exit status in $RC, seconds taken in $SECS.  The key
# cache is off (tests of the network must reach it) unless CACHE=1.
fetch() {
	start=$(date +%s.%N)
	nocache=--no-cache
	[ "${CACHE:-}" = 1 ] && nocache=
	"$GETK_FETCH" -C "$CONF" $nocache "$@" >"$T/out" 2>"$T/err"
	RC=$?
	SECS=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
}

# send ARGS...: runs getk-sendmail with the test config, the message on
# stdin; like fetch, $T/out, $T/err, $RC.
send() {
	"$GETK_SENDMAIL" -C "$CONF" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# stored N: the path of the Nth message the relay stored (1-based).
stored() {
	printf '%s/spool/%04d.eml' "$T" "$1"
}

# nstored: how many messages the relay stored.
nstored() {
	ls "$T/spool" 2>/dev/null | grep -c '\.eml$'
}

# expect_rc DESC CODE: ok when the last fetch exited with CODE.
expect_rc() {
	if [ "$RC" = "$2" ]; then
		ok "$1 (exit $2)"
	else
		not_ok "$1 (exit $RC, expected $2)"
		sed 's/^/#   stderr: /' "$T/err"
	fi
}

# expect_err DESC TEXT: ok when the last fetch's stderr contains TEXT.
expect_err() {
	if grep -qF -- "$2" "$T/err"; then
		ok "$1"
	else
		not_ok "$1: stderr lacks \"$2\""
		sed 's/^/#   stderr: /' "$T/err"
	fi
}

# expect_out DESC TEXT: ok when the last fetch's stdout contains TEXT.
expect_out() {
	if grep -qF -- "$2" "$T/out"; then
		ok "$1"
	else
		not_ok "$1: stdout lacks \"$2\""
		sed 's/^/#   stdout: /' "$T/out"
	fi
}

# expect_transcript PEER [DESC] <<EOF: ok when the command log of PEER
# ($T/PEER.log, as the peers' --log writes it: "relay" for start_relay,
# the host name for start_getk) is exactly the lines given, in order and
# no more (as curl's test <protocol> sections).  An expected line ending
# in "*" matches any line that starts with the rest ("EHLO *").  A
# mismatch shows the difference.
expect_transcript() {
	peer=$1
	desc=${2:-"$peer: the commands, in order"}
	cat >"$T/transcript.want"
	touch "$T/$peer.log"
	if awk 'FILENAME == ARGV[1] { want[++n] = $0; next }
	    { got[++m] = $0 }
	    END {
		if (n != m)
			exit 1
		for (i = 1; i <= n; i++) {
			w = want[i]
			if (w ~ /\*$/) {
				w = substr(w, 1, length(w) - 1)
				if (substr(got[i], 1, length(w)) != w)
					exit 1
			} else if (got[i] != w)
				exit 1
		}
	    }' "$T/transcript.want" "$T/$peer.log"; then
		ok "$desc"
	else
		not_ok "$desc"
		diff -u "$T/transcript.want" "$T/$peer.log" |
			sed 's/^/#   /' | tr -c '\n -~' '?'
	fi
}

# expect_printable DESC FILE: ok when FILE holds nothing but printable
# ASCII, tabs and newlines: no ESC, no bare CR, no 8-bit byte from a
# server reached it raw.
expect_printable() {
	if [ "$(LC_ALL=C tr -d '\n\t -~' <"$2" | wc -c)" -eq 0 ]; then
		ok "$1"
	else
		not_ok "$1: $2 holds control or 8-bit bytes"
		LC_ALL=C grep -n '[^	 -~]' "$2" | head -5 | od -c | head -20 |
			sed 's/^/#   /'
	fi
}

# expect_no_key DESC: ok when the last fetch printed no key at all.
expect_no_key() {
	if [ ! -s "$T/out" ]; then
		ok "$1: no key printed"
	else
		not_ok "$1: something was printed"
		head -5 "$T/out" | sed 's/^/#   stdout: /'
	fi
}

# expect_faster DESC SECONDS: ok when the last fetch took less.
expect_faster() {
	if awk -v a="$SECS" -v b="$2" 'BEGIN { exit !(a < b) }'; then
		ok "$1 (${SECS}s < $2s)"
	else
		not_ok "$1 (took ${SECS}s, limit $2s)"
	fi
}

# --- getkd and Postfix ---------------------------------------------------

# What getkd's memory may grow by in a test of flat memory: 2 MB, or
# 24 MB in the sanitizer build, where AddressSanitizer's redzones, shadow
# and quarantine come on top of what getkd holds.
RSS_SLACK_KB=2048
grep -q -- '-fsanitize=address' "$top_builddir/Makefile" 2>/dev/null &&
	RSS_SLACK_KB=24576

# skip_all WHY: the whole script is skipped (TAP "1..0 # SKIP").
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# start_postfix [postfix.sh switches]: a private Postfix for example.org
# on loopback (tests/peers/postfix.sh), its listener taking the PROXY
# protocol unless the switches say otherwise; mail goes to the maildir
# $T/postfix/mail/example.org/, the log to $T/postfix/maillog.  Sets
# PF_PORT; the EXIT trap stops it.
start_postfix() {
	[ "$(id -u)" -eq 0 ] || skip_all "Postfix needs root"
	command -v postfix >/dev/null 2>&1 ||
		skip_all "postfix is not installed (scripts/install-deps)"
	[ "${POSTFIX_DIR:-}" ] && stop_postfix
	POSTFIX_DIR=$T/postfix
	rm -rf "$POSTFIX_DIR"
	PF_PORT=$(sh "$top_srcdir/tests/peers/postfix.sh" --start "$@" \
		"$POSTFIX_DIR" example.org 2>"$T/postfix.err" | tail -n 1)
	case $PF_PORT in
	'' | *[!0-9]*) bail "cannot start Postfix: $(cat "$T/postfix.err")" ;;
	esac
}

# stop_postfix: stops it (the MTA is down from now on).
stop_postfix() {
	sh "$top_srcdir/tests/peers/postfix.sh" --stop "$POSTFIX_DIR"
}

# delivered: how many messages Postfix delivered into the maildir.
delivered() {
	ls "$POSTFIX_DIR/mail/example.org/new" 2>/dev/null | grep -c .
}

# wait_delivered N: until Postfix delivered N messages (10 s at most).
wait_delivered() {
	i=0
	while [ "$(delivered)" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
}

# make_wkd MAILBOX...: publishes the test keys of the MAILBOXes in the Web
# Key Directory $T/wks (DOMAIN/hu/HASH, as gpg-wks-server writes it).
make_wkd() {
	for m in "$@"; do
		d=$T/wks/${m#*@}/hu
		mkdir -p "$d"
		cp "$T/keys/$m" "$d/$(wkd_hash "${m%@*}")"
	done
}

# start_getkd [CONFIG LINES]: getkd in front of the Postfix of
# start_postfix, on 127.0.0.1 and [::1] (one port), as user nobody, with
# the test CA's certificate for mx.example.org and key_dir $T/wks; the
# LINES come last.  Logs to $T/getkd.log.  Sets GETKD_PORT, GETKD_PID
# (the privileged parent) and GETKD_CHILD (the session process).
start_getkd() {
	GETKD_PORT=$(free_port)
	# The session process runs as nobody: it must reach key_dir.
	chmod 755 "$T"
	mkdir -p "$T/wks"
	chmod -R a+rX "$T/wks"
	{
		echo "# written by tests/lib.sh"
		echo "listen 127.0.0.1:$GETKD_PORT"
		echo "listen [::1]:$GETKD_PORT"
		echo "backend 127.0.0.1:$PF_PORT"
		echo "hostname mx.example.org"
		echo "tls_cert_file $T/pki/mx.example.org.pem"
		echo "tls_key_file $T/pki/mx.example.org.key"
		echo "key_dir $T/wks"
		echo "user nobody"
		echo "syslog off"
		echo "timeout ${GETKD_TIMEOUT:-10}"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$T/getkd.conf"
	: >"$T/getkd.log"
	# In the sanitizer build, AddressSanitizer keeps freed memory in a
	# quarantine (256 MB by default), which the tests of getkd's flat
	# memory would count: a small one keeps RSS what getkd itself holds.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4" \
		"$GETKD" -d -v -f "$T/getkd.conf" >>"$T/getkd.log" 2>&1 &
	GETKD_PID=$!
	PIDS="$PIDS $GETKD_PID"
	i=0
	until grep -q ': ready: ' "$T/getkd.log"; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$GETKD_PID" 2>/dev/null; then
			bail "getkd did not start: $(cat "$T/getkd.log")"
		fi
		sleep 0.05
	done
	GETKD_CHILD=$(sed -n 's/.*session process \([0-9]*\) runs as.*/\1/p' \
		"$T/getkd.log" | tail -n 1)
}

# stop_getkd: SIGTERM, and waits for getkd to exit; its status in $RC.
stop_getkd() {
	kill -TERM "$GETKD_PID" 2>/dev/null
	wait "$GETKD_PID"
	RC=$?
}

# smtp SCRIPT: runs a Python client script against getkd, with the
# helpers of tests/peers/smtpclient.py imported (connect, ready, check,
# ...); its "ok"/"not ok" lines become TAP results, the rest goes to
# $T/out, stderr to $T/err.  A script that fails counts as not ok.
smtp() {
	PORT=$GETKD_PORT CA=$T/pki/ca.pem T=$T PF_PORT=${PF_PORT:-} \
		CHILD=${GETKD_CHILD:-} PARENT=${GETKD_PID:-} \
		RSS_SLACK_KB=$RSS_SLACK_KB \
		STOP="$top_srcdir/tests/peers/postfix.sh" \
		PYTHONPATH="$top_srcdir/tests/peers" \
		"$PYTHON3" -c "from smtpclient import *
$1" >"$T/out" 2>"$T/err"
	RC=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) not_ok "${line#not ok }" ;;
		"# "*) echo "$line" ;;
		esac
	done <"$T/out"
	if [ "$RC" != 0 ]; then
		not_ok "client script ran to its end (exit $RC)"
		sed 's/^/#   stderr: /' "$T/err" | tail -15
	fi
}

# expect_log DESC FILE TEXT: ok when FILE has a line with TEXT.
expect_log() {
	if grep -qF -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1: $(basename "$2") lacks \"$3\""
		tail -20 "$2" | sed 's/^/#   log: /'
	fi
}
