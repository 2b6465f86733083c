#!/bin/sh
# mkcerts.sh OUTDIR NAME...
#
# Makes a throw-away test CA and one TLS server certificate per NAME, for the
# test GETK servers.  Keys are EC P-256 (fast to generate).
#
#   OUTDIR/ca.pem, OUTDIR/ca.key      CA certificate (10 days, CA:TRUE,
#                                     keyUsage keyCertSign) and its key
#   OUTDIR/NAME.pem, OUTDIR/NAME.key  server certificate for NAME (5 days,
#                                     subjectAltName DNS:NAME, CN=NAME,
#                                     extendedKeyUsage serverAuth) and its key
#
# If OUTDIR/ca.pem exists already (and OUTDIR/ca.key with it) the CA is
# reused, so names can be added by later runs.  An existing NAME.pem/NAME.key
# is overwritten.  Tests that need a name mismatch give a server the
# certificate of another name.
#
# Needs OpenSSL >= 3.0 ("openssl req -x509 -CA").
set -eu

usage() {
	echo "usage: $0 OUTDIR NAME..." >&2
	exit 2
}

[ $# -ge 1 ] || usage
outdir=$1
shift

case $outdir in
'' | -*) usage ;;
esac

for name in "$@"; do
	case $name in
	'' | -* | */* | *[!A-Za-z0-9.*_-]*)
		echo "$0: bad NAME: '$name'" >&2
		exit 2
		;;
	ca)
		echo "$0: NAME 'ca' clashes with the CA files" >&2
		exit 2
		;;
	esac
done

mkdir -p "$outdir"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkcerts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

umask 077

# Our own minimal configs keep the system openssl.cnf (and the extensions
# its x509_extensions section would add) out of it.
if [ -f "$outdir/ca.pem" ]; then
	if [ ! -f "$outdir/ca.key" ]; then
		echo "$0: $outdir/ca.pem exists but $outdir/ca.key does not" >&2
		exit 1
	fi
else
	cat >"$tmp/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
O = getk tests
CN = getk test CA
[ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF
	openssl req -config "$tmp/ca.cnf" -x509 -new -noenc \
		-newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$tmp/ca.key" -out "$tmp/ca.pem" \
		-days 10 -sha256 \
		2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	mv "$tmp/ca.key" "$outdir/ca.key"
	chmod 644 "$tmp/ca.pem"
	mv "$tmp/ca.pem" "$outdir/ca.pem"
fi

for name in "$@"; do
	# One openssl process per name: "req -x509 -CA" makes the key and
	# signs the certificate with the CA directly (random serial number).
	cat >"$tmp/leaf.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
CN = $name
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$name
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	openssl req -config "$tmp/leaf.cnf" -x509 -new -noenc \
		-newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$tmp/leaf.key" -out "$tmp/leaf.pem" \
		-CA "$outdir/ca.pem" -CAkey "$outdir/ca.key" \
		-days 5 -sha256 \
		2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	mv "$tmp/leaf.key" "$outdir/$name.key"
	chmod 644 "$tmp/leaf.pem"
	mv "$tmp/leaf.pem" "$outdir/$name.pem"
done
