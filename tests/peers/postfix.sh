#!/bin/sh
# tests/peers/postfix.sh: a private Postfix instance on loopback, the real
# MTA that getkd stands in front of in the tests, the demo and the
# benchmarks.  See tests/peers/README for the usage.
#
#   postfix.sh --start [--proxy haproxy|none] [--xclient] [--port PORT]
#              [--process-limit N] [--main NAME=VALUE]... DIR DOMAIN...
#   postfix.sh --stop DIR
#
# --start writes DIR/conf/main.cf and DIR/conf/master.cf, makes the queue
# (DIR/queue), data (DIR/data) and mail (DIR/mail) directories, starts
# the instance and prints the port of its SMTP listener on 127.0.0.1 (a
# free one unless --port).  Nothing is shared with the system's Postfix
# or with another instance: its own config_directory, queue_directory,
# data_directory and maillog_file (DIR/maillog); the system's Postfix
# need not run and its /etc/postfix is only read for the daemon paths.
#
# The listener has smtpd_upstream_proxy_protocol = haproxy (PROXY v1 and
# v2) unless --proxy none; --xclient lets 127.0.0.1 send XCLIENT instead.
# Mail for the DOMAINs is accepted for any local part and delivered by
# virtual(8) into the maildir DIR/mail/DOMAIN/ (one file per message in
# new/), owned by nobody.  Client ports are logged, so that a test can
# tell the real client from the proxy.
#
# --stop stops the instance of DIR (the EXIT trap of the test calls it).
# Needs the postfix package (scripts/install-deps) and root: Postfix's
# master starts as root and runs its daemons as the postfix user.

set -eu

prog=postfix.sh

usage() {
	cat >&2 <<EOF
usage: $prog --start [--proxy haproxy|none] [--xclient] [--port PORT]
           [--process-limit N] [--main NAME=VALUE]... DIR DOMAIN...
       $prog --stop DIR
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

stop() {
	dir=$1
	[ -f "$dir/conf/main.cf" ] || return 0
	postfix -c "$dir/conf" stop >/dev/null 2>&1 || :
	# "postfix stop" returns at once; wait for master to be gone, so
	# that the directory can be removed.
	pid=$(sed -n '1s/ //gp' "$dir/queue/pid/master.pid" 2>/dev/null || :)
	i=0
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || :
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
--stop)
	[ $# -eq 1 ] || usage
	stop "$1"
	exit 0
	;;
--start) ;;
*) usage ;;
esac

proxy=haproxy
xclient=
port=
plimit=100
extra=
nl='
'
while [ $# -gt 0 ]; do
	case $1 in
	--proxy) proxy=$2; shift 2 ;;
	--xclient) xclient=1; shift ;;
	--port) port=$2; shift 2 ;;
	--process-limit) plimit=$2; shift 2 ;;
	--main) extra="$extra$2$nl"; shift 2 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || usage
case $proxy in haproxy | none) ;; *) usage ;; esac
dir=$1
shift
domains=$*

command -v postfix >/dev/null 2>&1 || die "postfix is not installed (scripts/install-deps)"
[ "$(id -u)" -eq 0 ] || die "needs root (Postfix's master starts as root)"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Postfix's daemons run as the postfix user and must reach the queue;
# virtual(8) delivers as nobody.  Every directory above DIR must be
# searchable for them.
d=$dir
while [ "$d" != / ]; do
	chmod o+x "$d" 2>/dev/null || :
	d=$(dirname "$d")
done
mkdir -p "$dir/conf" "$dir/queue" "$dir/data" "$dir/mail"
chown root:root "$dir/queue"
chmod 755 "$dir/queue"
chown postfix:postfix "$dir/data"
chown nobody:nogroup "$dir/mail"
fixed_port=$port

daemon_directory=$(postconf -c /etc/postfix -h daemon_directory 2>/dev/null ||
	echo /usr/lib/postfix/sbin)
vdomains=$(echo "$domains" | tr ' ' ',')

cat >"$dir/conf/main.cf" <<EOF
# A private test instance: tests/peers/postfix.sh.
compatibility_level = 3.6
config_directory = $dir/conf
queue_directory = $dir/queue
data_directory = $dir/data
daemon_directory = $daemon_directory
maillog_file = $dir/maillog
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.$(echo "$domains" | cut -d' ' -f1)
mydomain = $(echo "$domains" | cut -d' ' -f1)
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = all
mynetworks = 127.0.0.0/8
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = $vdomains
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = regexp:$dir/conf/mailboxes
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 1
message_size_limit = 0
mailbox_size_limit = 0
virtual_mailbox_limit = 0
smtpd_client_port_logging = yes
smtpd_peername_lookup = no
smtpd_banner = \$myhostname ESMTP Postfix
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_relay_restrictions =
smtpd_delay_reject = yes
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
anvil_rate_time_unit = 60s
smtpd_timeout = 60s
smtpd_discard_ehlo_keywords =
default_process_limit = $plimit
biff = no
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
maillog_file_prefixes = $dir
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
EOF
# --main: the test's own settings, last so that they win.
printf '%s' "$extra" | sed 's/=/ = /' >>"$dir/conf/main.cf"
# Every local part of every DOMAIN: DIR/mail/DOMAIN/ (a maildir).
for d in $domains; do
	printf '/@%s$/ %s/\n' "$(echo "$d" | sed 's/\./\\./g')" "$d"
done >"$dir/conf/mailboxes"

attempt=1
while :; do
	port=${fixed_port:-$(free_port)}
	rm -f "$dir/maillog"
	opts=
	[ "$proxy" = haproxy ] && opts="$opts -o smtpd_upstream_proxy_protocol=haproxy"
	[ -n "$xclient" ] && opts="$opts -o smtpd_authorized_xclient_hosts=127.0.0.1"
	cat >"$dir/conf/master.cf" <<EOF
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:$port inet n - n - - smtpd$opts
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

	postfix -c "$dir/conf" check >"$dir/check.log" 2>&1 ||
		die "postfix check failed: $(cat "$dir/check.log")"
	if ! postfix -c "$dir/conf" start >"$dir/start.log" 2>&1; then
		# A free port may be taken by another test meanwhile: try another.
		if [ -z "$fixed_port" ] && [ "$attempt" -lt 5 ] &&
		    grep -q 'Address already in use' "$dir/maillog" 2>/dev/null; then
			stop "$dir"
			attempt=$((attempt + 1))
			continue
		fi
		die "postfix did not start: $(cat "$dir/start.log") $(cat "$dir/maillog" 2>/dev/null)"
	fi
	# Until the listener answers.
	i=0
	until "$PYTHON3" -S -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && die "postfix does not listen on $port: $(tail -5 "$dir/maillog" 2>/dev/null)"
		sleep 0.05
	done
	break
done
echo "$port"
