#!/bin/sh
# mkkeys.sh [--bench N] GNUPGHOME OUTDIR
#
# Makes test OpenPGP keys with gpg (2.2) in the private keyring GNUPGHOME
# (created 0700 if missing; meant to be fresh) and exports each public key,
# binary and unarmored, to OUTDIR/<mailbox> -- the file the test GETK server
# serves for that mailbox.  The secret keys stay in GNUPGHOME, unprotected
# (no passphrase), so tests can decrypt with them.
#
# Default set (all ed25519 primary keys, cv25519 encryption subkeys):
#   alice@example.org  good key, UID "Alice Example <alice@example.org>"
#   bob@example.org    good key, UID "Bob Example <bob@example.org>"
#   carol@example.org  good key with two UIDs, "Carol <carol@example.org>"
#                      (marked primary) and
#                      "Carol Elsewhere <carol@elsewhere.example.com>"
#   dave@example.org   no encryption subkey (primary usage sign only),
#                      UID "dave@example.org"
#   erin@example.org   expired: made at 2020-01-01 with primary key and
#                      encryption subkey both expiring after 1 day
#   frank@example.org  revoked primary key (with encryption subkey)
#   grace@example.org  a key whose only UID is "mallory@example.net"
#   heidi@example.org  primary made 2020-01-01 (no expiry); one encryption
#                      subkey expired (2020-01-01 + 1 day), and a second,
#                      valid one made now
#   ivan@example.org   good primary key whose only encryption subkey is
#                      revoked
#
# With --bench N, makes instead N good keys (ed25519 + cv25519 subkey)
# userNN@benchMM.example.org for NN = 01..N, MM = ((NN-1) % 10) + 1, both at
# least two digits; UID "Bench User NN <userNN@benchMM.example.org>".
#
# OUTDIR/fingerprints gets one line "MAILBOX FINGERPRINT" (primary key,
# 40 upper-case hex digits) per key made.  Lines already in it for mailboxes
# not made by this run are kept, so a default run and a --bench run can share
# OUTDIR (and GNUPGHOME).
#
# Fully non-interactive (loopback pinentry, empty passphrase).  The
# gpg-agent started for GNUPGHOME is killed on exit.
set -eu

usage() {
	echo "usage: $0 [--bench N] GNUPGHOME OUTDIR" >&2
	exit 2
}

bench=
if [ $# -ge 1 ] && [ "$1" = --bench ]; then
	[ $# -ge 2 ] || usage
	bench=$2
	shift 2
	case $bench in
	'' | *[!0-9]*) usage ;;
	esac
	bench=${bench#"${bench%%[!0]*}"} # no leading zeros (octal)
	[ -n "$bench" ] || usage
fi
[ $# -eq 2 ] || usage
home=$1
outdir=$2
case $home in '' | -*) usage ;; esac
case $outdir in '' | -*) usage ;; esac

mkdir -p "$home" "$outdir"
chmod 700 "$home"
# Absolute path: gpg and gpgconf resolve it the same way then.
home=$(cd "$home" && pwd)
GNUPGHOME=$home
export GNUPGHOME
unset GPG_AGENT_INFO || :

if ! grep -qsx 'allow-loopback-pinentry' "$home/gpg-agent.conf"; then
	echo 'allow-loopback-pinentry' >>"$home/gpg-agent.conf"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkkeys.XXXXXX")
cleanup() {
	gpgconf --homedir "$home" --kill gpg-agent >/dev/null 2>&1 || :
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

err=$tmp/err
newfprs=$tmp/fingerprints

die() {
	echo "$0: $*" >&2
	exit 1
}

# g ARGS...: gpg, quietly and non-interactively; shows gpg's messages and
# fails if gpg fails.
g() {
	gpg --homedir "$home" --batch --no-tty --yes \
		--pinentry-mode loopback --passphrase '' "$@" \
		</dev/null 2>"$err" || {
		cat "$err" >&2
		die "gpg $* failed"
	}
}

# gen WHEN UID ALGO USAGE EXPIRE: --quick-gen-key, at the time WHEN ("now"
# or a --faked-system-time value); prints the fingerprint of the new key.
gen() {
	when=$1
	shift
	if [ "$when" = now ]; then
		g --status-fd 1 --quick-gen-key "$@" >"$tmp/status" || exit 1
	else
		g --status-fd 1 --faked-system-time "$when" \
			--quick-gen-key "$@" >"$tmp/status" || exit 1
	fi
	fpr=$(awk '$1 == "[GNUPG:]" && $2 == "KEY_CREATED" { print $4; exit }' \
		"$tmp/status")
	case $fpr in
	????????????????????????????????????????) ;;
	*) die "no fingerprint from gpg --quick-gen-key $*" ;;
	esac
	echo "$fpr"
}

# export_key MAILBOX FPR: OUTDIR/MAILBOX <- the public key, binary.
export_key() {
	g --no-armor --export "$2" >"$tmp/export"
	[ -s "$tmp/export" ] || die "gpg --export $2 ($1) wrote nothing"
	mv "$tmp/export" "$outdir/$1"
	echo "$1 $2" >>"$newfprs"
}

# colons FPR: the key listing with --with-colons.
colons() {
	g --with-colons --fixed-list-mode --list-keys "$1"
}

: >"$newfprs"

if [ -n "$bench" ]; then
	# One gpg process generates them all (batch parameter file); the
	# Handle comes back in the KEY_CREATED status line.
	i=1
	: >"$tmp/params"
	while [ "$i" -le "$bench" ]; do
		nn=$(printf '%02d' "$i")
		mm=$(printf '%02d' $(((i - 1) % 10 + 1)))
		mb=user$nn@bench$mm.example.org
		cat >>"$tmp/params" <<EOF
%no-protection
Key-Type: EdDSA
Key-Curve: ed25519
Key-Usage: sign
Subkey-Type: ECDH
Subkey-Curve: cv25519
Subkey-Usage: encrypt
Name-Real: Bench User $nn
Name-Email: $mb
Expire-Date: 0
Handle: $mb
%commit
EOF
		i=$((i + 1))
	done
	g --status-fd 1 --gen-key "$tmp/params" >"$tmp/status"
	awk '$1 == "[GNUPG:]" && $2 == "KEY_CREATED" { print $5, $4 }' \
		"$tmp/status" >"$tmp/created"
	[ "$(wc -l <"$tmp/created")" -eq "$bench" ] ||
		die "gpg made $(wc -l <"$tmp/created") keys, not $bench"
	while read -r mb fpr; do
		export_key "$mb" "$fpr"
	done <"$tmp/created"
else
	past_time=20200101T000000
	# Subkeys are bound a minute later: gpg's faked clock runs, and on a
	# loaded machine the primary may already be a second old.
	past_later=20200101T000100

	# alice, bob: good keys.
	fpr=$(gen now 'Alice Example <alice@example.org>' ed25519 sign never)
	g --quick-add-key "$fpr" cv25519 encr never
	export_key alice@example.org "$fpr"

	fpr=$(gen now 'Bob Example <bob@example.org>' ed25519 sign never)
	g --quick-add-key "$fpr" cv25519 encr never
	export_key bob@example.org "$fpr"

	# carol: two UIDs.
	fpr=$(gen now 'Carol <carol@example.org>' ed25519 sign never)
	g --quick-add-uid "$fpr" 'Carol Elsewhere <carol@elsewhere.example.com>'
	# Otherwise the primary UID depends on self-signature timestamps.
	g --quick-set-primary-uid "$fpr" 'Carol <carol@example.org>'
	g --quick-add-key "$fpr" cv25519 encr never
	export_key carol@example.org "$fpr"

	# dave: no encryption subkey.
	fpr=$(gen now dave@example.org ed25519 sign never)
	export_key dave@example.org "$fpr"

	# erin: made in 2020, primary and subkey expired after a day.
	fpr=$(gen $past_time 'Erin Example <erin@example.org>' ed25519 sign 1d)
	g --faked-system-time $past_later --quick-add-key "$fpr" cv25519 encr 1d
	export_key erin@example.org "$fpr"

	# frank: revoked with the revocation certificate gpg stored.
	fpr=$(gen now 'Frank Example <frank@example.org>' ed25519 sign never)
	g --quick-add-key "$fpr" cv25519 encr never
	rev=$home/openpgp-revocs.d/$fpr.rev
	[ -s "$rev" ] || die "no revocation certificate $rev"
	sed 's/^:\(-----BEGIN PGP PUBLIC KEY BLOCK-----\)/\1/' "$rev" \
		>"$tmp/frank.rev"
	g --import "$tmp/frank.rev"
	colons "$fpr" | grep -q '^pub:r:' || die "frank's key is not revoked"
	export_key frank@example.org "$fpr"

	# grace: the key of another address.
	fpr=$(gen now mallory@example.net ed25519 sign never)
	g --quick-add-key "$fpr" cv25519 encr never
	export_key grace@example.org "$fpr"

	# heidi: primary made in 2020 (no expiry), so that a subkey made then
	# can be bound to it; that subkey expires after a day.  A second,
	# valid encryption subkey is made now.
	fpr=$(gen $past_time 'Heidi Example <heidi@example.org>' ed25519 sign never)
	g --faked-system-time $past_later --quick-add-key "$fpr" cv25519 encr 1d
	g --quick-add-key "$fpr" cv25519 encr never
	export_key heidi@example.org "$fpr"

	# ivan: the only encryption subkey is revoked (edit-key, answers on
	# the command fd: really revoke? y; reason 0; no text; okay? y).
	fpr=$(gen now 'Ivan Example <ivan@example.org>' ed25519 sign never)
	g --quick-add-key "$fpr" cv25519 encr never
	printf 'key 1\nrevkey\ny\n0\n\ny\nsave\n' >"$tmp/cmds"
	gpg --homedir "$home" --batch --no-tty --yes \
		--pinentry-mode loopback --passphrase '' \
		--command-fd 0 --status-fd 2 --edit-key "$fpr" \
		<"$tmp/cmds" >/dev/null 2>"$err" || {
		cat "$err" >&2
		die "revoking ivan's subkey failed"
	}
	colons "$fpr" | grep -q '^sub:r:' || {
		cat "$err" >&2
		die "ivan's subkey is not revoked"
	}
	export_key ivan@example.org "$fpr"
fi

# Merge: keep old lines for mailboxes not made now, then the new ones.
if [ -f "$outdir/fingerprints" ]; then
	awk 'NR == FNR { new[$1] = 1; next } !($1 in new)' \
		"$newfprs" "$outdir/fingerprints" >"$tmp/merged"
else
	: >"$tmp/merged"
fi
cat "$newfprs" >>"$tmp/merged"
mv "$tmp/merged" "$outdir/fingerprints"
