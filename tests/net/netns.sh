#!/bin/sh
# Network namespaces for rroot's networking tests: a "server" and a "client" namespace joined by a
# veth pair, on a test subnet that exists only inside them. Nothing outside is touched except
# /etc/netns/NAME-c/resolv.conf, which `ip netns exec` bind-mounts over /etc/resolv.conf so a
# client writing resolv.conf writes there.
#
# usage: netns.sh check
#        netns.sh up NAME PREFIX     e.g. up rroot-t-1234-1 10.213.7 → server 10.213.7.1/24 on
#                                    veth0 in NAME-s, client interface eth0 (down) in NAME-c
#        netns.sh down NAME          removes both namespaces and /etc/netns/NAME-c (idempotent)
#
# Needs root, iproute2 and (for the DHCP tests) dnsmasq: apt-get install -y iproute2 dnsmasq
set -eu

cmd=${1:-}
case "$cmd" in
check)
	missing=
	command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
	command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing="$missing dnsmasq"
	if [ -n "$missing" ]; then
		echo "netns.sh: missing:$missing (apt-get install -y$missing)" >&2
		exit 1
	fi
	;;
up)
	name=$2 prefix=$3
	# Interface names are at most 15 bytes: derive short temporary ones from a checksum.
	short=$(printf '%s' "$name" | cksum | cut -d' ' -f1)
	a="rt${short}a" b="rt${short}b"
	a=$(printf '%.15s' "$a") b=$(printf '%.14s' "$b")b
	ip netns add "$name-s"
	ip netns add "$name-c"
	ip link add "$a" type veth peer name "$b"
	ip link set "$a" netns "$name-s"
	ip link set "$b" netns "$name-c"
	ip -n "$name-s" link set "$a" name veth0
	ip -n "$name-c" link set "$b" name eth0
	ip -n "$name-s" link set lo up
	ip -n "$name-c" link set lo up
	ip -n "$name-s" addr add "$prefix.1/24" dev veth0
	ip -n "$name-s" link set veth0 up
	mkdir -p "/etc/netns/$name-c"
	echo "# placeholder for $name" >"/etc/netns/$name-c/resolv.conf"
	;;
down)
	name=$2
	ip netns del "$name-s" 2>/dev/null || true
	ip netns del "$name-c" 2>/dev/null || true
	rm -rf "/etc/netns/$name-c"
	;;
*)
	echo "usage: netns.sh check | up NAME PREFIX | down NAME" >&2
	exit 2
	;;
esac
