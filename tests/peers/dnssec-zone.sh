#!/bin/sh
# tests/peers/dnssec-zone.sh: DNSSEC-signed test zones and an
# authoritative-only unbound that serves them on loopback, so that tests
# can check what getk's validating resolver (libunbound) makes of secure,
# bogus and insecure answers.  See tests/peers/README for the usage.
#
# There is no root and no parent zone: every signed zone is a trust point
# of its own, and OUTDIR/trust-anchors holds the DS record of each zone's
# KSK for ub_ctx_add_ta_file().  An unsigned zone has no anchor, so a
# resolver with anchors for the other zones sees it as insecure.
#
# Needs ldnsutils (ldns-keygen, ldns-signzone, ldns-read-zone, drill) and
# unbound; Debian's /usr/bin/python3 picks the free port, as in lib.sh.
# Every process costs time, so the shell does what it can itself: three
# small zones take well under a second, start included.

set -eu

prog=dnssec-zone.sh
nl='
'
oldifs=$IFS

usage() {
	cat >&2 <<EOF
usage: $prog [--start] [--nsec3] [--bogus NAME[/TYPE]]... OUTDIR
           [ZONEFILE]... [--unsigned ZONEFILE]...
       $prog --stop OUTDIR
EOF
	exit 2
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

PYTHON3=${PYTHON3:-python3}
[ -x /usr/bin/python3 ] && PYTHON3=/usr/bin/python3

. "$(dirname "$0")/ports.sh"

# absname NAME: sets $name to NAME lowercased, with the trailing dot.
absname() {
	name=$1
	case $name in
	*[A-Z]*) name=$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]') ;;
	esac
	case $name in
	*.) ;;
	*) name=$name. ;;
	esac
}

# zone_of FILE: sets $zone to the zone name, from the first $ORIGIN line.
zone_of() {
	[ -r "$1" ] || die "cannot read $1"
	zone=
	while IFS= read -r line || [ -n "$line" ]; do
		# shellcheck disable=SC2016 # a literal $ORIGIN
		case $line in
		'$ORIGIN'[" 	"]* | '$origin'[" 	"]*)
			set -f
			# shellcheck disable=SC2086 # split into words
			set -- $line
			set +f
			zone=$2
			break
			;;
		esac
	done <"$1"
	[ -n "$zone" ] || die "$1: no \$ORIGIN line (it names the zone)"
	absname "$zone"
	zone=$name
}

# running PID: PID is a live process.  The unbound of --start is nobody's
# child once this script has exited: after it exits it stays a zombie
# until init reaps it (seconds, on some systems), and kill -0 still
# succeeds on a zombie.  Its sockets are closed by then.
running() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/stat" ] || return 0
	stat=
	read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
	# The state is the field after "(comm)".
	stat=${stat##*) }
	case $stat in
	Z* | X*) return 1 ;;
	esac
	return 0
}

# ours PID: PID is a running unbound (not a stale pid file's reused pid).
ours() {
	running "$1" || return 1
	[ -r "/proc/$1/comm" ] || return 0
	comm=
	read -r comm <"/proc/$1/comm" 2>/dev/null || return 1
	[ "$comm" = unbound ]
}

# stop OUTDIR: stops the server that --start left running there.
stop() {
	[ -s "$1/pid" ] || return 0
	read -r pid <"$1/pid"
	if ours "$pid"; then
		kill "$pid" 2>/dev/null || true
		i=0
		while running "$pid"; do
			i=$((i + 1))
			[ $i -gt 100 ] && die "unbound $pid does not stop"
			sleep 0.05
		done
	fi
	rm -f "$1/pid" "$1/port"
}

outdir=
signed_files=
unsigned_files=
bogus=
start=0
nsec3=0
stop=0
# abspath FILE: FILE as seen from any directory (the script moves).
abspath() {
	case $1 in
	/*) path=$1 ;;
	*) path=$PWD/$1 ;;
	esac
}
while [ $# -gt 0 ]; do
	case $1 in
	--bogus)
		[ $# -ge 2 ] || usage
		bogus="$bogus$2$nl"
		shift 2
		;;
	--bogus=*)
		bogus="$bogus${1#--bogus=}$nl"
		shift
		;;
	--unsigned)
		[ $# -ge 2 ] || usage
		abspath "$2"
		unsigned_files="$unsigned_files$path$nl"
		shift 2
		;;
	--unsigned=*)
		abspath "${1#--unsigned=}"
		unsigned_files="$unsigned_files$path$nl"
		shift
		;;
	--start) start=1; shift ;;
	--stop) stop=1; shift ;;
	--nsec3) nsec3=1; shift ;;
	-h | --help) usage ;;
	-*) echo "$prog: unknown option $1" >&2; usage ;;
	*)
		if [ -z "$outdir" ]; then
			outdir=$1
		else
			abspath "$1"
			signed_files="$signed_files$path$nl"
		fi
		shift
		;;
	esac
done
[ -n "$outdir" ] || usage

if [ $stop = 1 ]; then
	stop "$outdir"
	exit 0
fi

[ -n "$signed_files$unsigned_files" ] || usage
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
case $outdir in
*[!A-Za-z0-9_./+-]*) die "OUTDIR must be a plain path for unbound.conf: $outdir" ;;
esac
if [ -s "$outdir/pid" ]; then
	read -r pid <"$outdir/pid"
	ours "$pid" && die "unbound $pid still serves $outdir; --stop it first"
fi
keydir=$outdir/keys
rm -rf "$keydir"
rm -f "$outdir"/*.signed "$outdir"/*.zone "$outdir"/*.tmp "$outdir"/*.err \
	"$outdir/trust-anchors" "$outdir/unbound.log" "$outdir/port" "$outdir/pid"
mkdir "$keydir"
# ldns-keygen writes its files into the current directory.
cd "$keydir"

# Signatures valid from a day ago for 30 days (the real clock: libunbound
# checks them against time(NULL) unless told val-override-date).
now=$(date +%s)
inception=$((now - 86400))
expiration=$((now + 30 * 86400))
nsec3_opts=
# NSEC3 with no extra iterations and no salt (RFC 9276).
[ $nsec3 = 1 ] && nsec3_opts="-n -t 0"

zones=
signed_zones=
: >"$outdir/trust-anchors.tmp"

# add_zone ZONE: checks the zone name is new; records it.
add_zone() {
	case "$nl$zones" in
	*"$nl$1$nl"*) die "zone $1 given twice" ;;
	esac
	zones="$zones$1$nl"
}

# sign FILE: KSK and ZSK for the zone, the signed zone, its DS anchor.
sign() {
	zone_of "$1"
	add_zone "$zone"
	ksk=$(ldns-keygen -a ECDSAP256SHA256 -r /dev/urandom -k "$zone") ||
		die "ldns-keygen failed for $zone"
	zsk=$ksk
	# Two keys with the same tag would share file names.
	while [ "$zsk" = "$ksk" ]; do
		zsk=$(ldns-keygen -a ECDSAP256SHA256 -r /dev/urandom "$zone") ||
			die "ldns-keygen failed for $zone"
	done
	# shellcheck disable=SC2086 # nsec3_opts are words
	ldns-signzone $nsec3_opts -i "$inception" -e "$expiration" \
		-o "$zone" -f "$outdir/${zone%.}.signed" "$1" "$ksk" "$zsk" ||
		die "ldns-signzone failed for $1"
	while IFS= read -r line; do
		printf '%s\n' "$line"
	done <"$ksk.ds" >>"$outdir/trust-anchors.tmp"
	signed_zones="$signed_zones$zone$nl"
}

# unsigned FILE: the zone as it is, checked and with absolute names.
unsigned() {
	zone_of "$1"
	add_zone "$zone"
	ldns-read-zone "$1" >"$outdir/${zone%.}.zone" 2>"$outdir/read-zone.err" ||
		die "$1: $(cat "$outdir/read-zone.err")"
	rm -f "$outdir/read-zone.err"
}

# corrupt SPEC: changes one base64 character in the signature of every
# RRSIG at NAME covering TYPE, or without /TYPE every RRSIG at NAME except
# those over the zone's own records (SOA, NS, DNSKEY, NSEC, NSEC3...),
# so that only the answers for NAME turn bogus.
corrupt() {
	case $1 in
	*/*) absname "${1%/*}"; type=${1##*/} ;;
	*) absname "$1"; type= ;;
	esac
	# The longest signed zone that holds NAME.
	best=
	set -f
	IFS=$nl
	for z in $signed_zones; do
		IFS=$oldifs
		case $name in
		"$z" | *."$z")
			[ ${#z} -gt ${#best} ] && best=$z
			;;
		esac
	done
	IFS=$oldifs
	set +f
	[ -n "$best" ] || die "--bogus $1: not in a signed zone"
	f=$outdir/${best%.}.signed
	awk -v name="$name" -v type="$type" '
		BEGIN { type = toupper(type); n = 0 }
		$4 == "RRSIG" && tolower($1) == name {
			cov = toupper($5)
			if (type == "" ? cov !~ /^(SOA|NS|DNSKEY|CDS|CDNSKEY|NSEC|NSEC3|NSEC3PARAM)$/ : cov == type) {
				sig = $NF
				c = substr(sig, 11, 1) == "A" ? "B" : "A"
				$NF = substr(sig, 1, 10) c substr(sig, 12)
				n++
			}
		}
		{ print }
		END { exit n == 0 }' "$f" >"$f.tmp" || {
		rm -f "$f.tmp"
		die "--bogus $1: no RRSIG at $name${type:+ over $type} in $f"
	}
	mv "$f.tmp" "$f"
}

# write_conf PORT: OUTDIR/unbound.conf, authoritative only.
write_conf() {
	{
		cat <<EOF
# Written by tests/peers/dnssec-zone.sh: authoritative only, no
# validation, no recursion.  Names outside the zones get REFUSED.
server:
	verbosity: 1
	interface: 127.0.0.1
	port: $1
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	so-reuseport: no
	# Unbound shuffles its outgoing ports at start-up, one getrandom()
	# call per port: 0.15 s for the default range.  This server never
	# sends a query, so a few ports will do.
	outgoing-port-avoid: 0-65535
	outgoing-port-permit: 61000-61009
	outgoing-range: 16
	num-queries-per-thread: 16
	num-threads: 1
	msg-cache-size: 1m
	rrset-cache-size: 1m
	chroot: ""
	username: ""
	directory: "$outdir"
	do-daemonize: no
	use-syslog: no
	logfile: "$outdir/unbound.log"
	log-queries: yes
	pidfile: "$outdir/pid"
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	# Local zones are looked at before auth zones: "." refuses every
	# name, the zones themselves are let through to their auth-zone.
	local-zone: "." refuse
EOF
		set -f
		IFS=$nl
		for z in $zones; do
			printf '\tlocal-zone: "%s" transparent\n' "$z"
		done
		printf 'remote-control:\n\tcontrol-enable: no\n'
		for z in $zones; do
			f=$outdir/${z%.}.signed
			[ -f "$f" ] || f=$outdir/${z%.}.zone
			printf 'auth-zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$z" "$f"
			printf '\tfor-downstream: yes\n\tfor-upstream: no\n'
			printf '\tfallback-enabled: no\n'
		done
		IFS=$oldifs
		set +f
	} >"$outdir/unbound.conf"
}

# checkconf: dies with what unbound-checkconf says of unbound.conf.
checkconf() {
	unbound-checkconf "$outdir/unbound.conf" >"$outdir/checkconf.err" 2>&1 ||
		die "bad unbound.conf: $(cat "$outdir/checkconf.err")"
	rm -f "$outdir/checkconf.err"
}

# answers PORT: the server answers the first zone's SOA over TCP (TCP:
# a refused connection fails at once, where UDP would wait), signed: so
# it is this unbound, not another test's DNS server that took the port
# first; then over UDP too, which is what getk uses.
answers() {
	probe=${signed_zones%%"$nl"*}
	want=RRSIG
	if [ -z "$probe" ]; then
		probe=${zones%%"$nl"*}
		want='rcode: NOERROR'
	fi
	drill -D -t -p "$1" @127.0.0.1 "$probe" SOA 2>/dev/null |
		grep -q "$want" &&
	drill -D -p "$1" @127.0.0.1 "$probe" SOA 2>/dev/null |
		grep -q "$want"
}

set -f
IFS=$nl
for f in $signed_files; do
	IFS=$oldifs
	sign "$f"
done
IFS=$nl
for f in $unsigned_files; do
	IFS=$oldifs
	unsigned "$f"
done
IFS=$nl
for b in $bogus; do
	IFS=$oldifs
	corrupt "$b"
done
IFS=$oldifs
set +f
mv "$outdir/trust-anchors.tmp" "$outdir/trust-anchors"

if [ $start = 0 ]; then
	port=${DNS_PORT:-$(free_port)}
	write_conf "$port"
	checkconf
	echo "$port"
	exit 0
fi

# A free port may be taken before unbound binds it: try another one,
# unless the caller chose the port.
attempt=0
while :; do
	attempt=$((attempt + 1))
	port=${DNS_PORT:-$(free_port)}
	write_conf "$port"
	# Our own descriptors must not stay open in unbound, or a caller's
	# $(...) would wait for unbound to exit.
	unbound -c "$outdir/unbound.conf" </dev/null >"$outdir/unbound.err" 2>&1 &
	pid=$!
	i=0
	up=0
	while running "$pid"; do
		if answers "$port"; then
			up=1
			break
		fi
		i=$((i + 1))
		[ $i -gt 250 ] && break
		sleep 0.02
	done
	if [ $up = 1 ]; then
		echo "$pid" >"$outdir/pid.tmp"
		mv "$outdir/pid.tmp" "$outdir/pid"
		echo "$port" >"$outdir/port.tmp"
		mv "$outdir/port.tmp" "$outdir/port"
		echo "$port"
		exit 0
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	checkconf
	if [ -n "${DNS_PORT:-}" ] || [ $attempt -ge 5 ]; then
		die "unbound did not start on port $port: $(tail -n 3 "$outdir/unbound.err")"
	fi
done
