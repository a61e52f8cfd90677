#!/usr/bin/env bash
# Captures real DHCPv4/DHCPv6 exchanges between dnsmasq and real clients
# (dhclient, dhcpcd, busybox udhcpc) and writes each distinct UDP payload as a
# JSON fixture under src/fixtures/{v4,v6}/. Run by hand as root, not in CI:
#
#   sudo bash packages/dhcp-wire/scripts/capture-fixtures.sh [OUT_DIR]
#
# Safety: everything happens in two network namespaces this script creates
# (named incusx-cap-<pid>-srv / -cli) joined by a veth pair that is created
# inside them, using documentation addresses only (192.0.2.0/24,
# 2001:db8:1::/64, MACs 00:00:5e:00:53:xx from RFC 7042). Clients run in the
# client namespace inside a private mount namespace whose /run,
# /var/lib/dhcp, /var/lib/dhcpcd and /etc/resolv.conf are temporary, so the
# host's interfaces, routes, leases and resolv.conf are never touched. The
# namespaces and every process in them are removed on exit, also on failure.
# Set KEEP=1 to keep the work directory (pcap, logs) for inspection.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/../src/fixtures"}
prefix="incusx-cap-$$-"
srv="${prefix}srv"
cli="${prefix}cli"
work=$(mktemp -d /tmp/incusx-cap.XXXXXX)
chmod 755 "$work"

log() { printf '[capture] %s\n' "$*" >&2; }

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  for ns in "$cli" "$srv"; do
    if ip netns list | grep -qw -- "$ns"; then
      # Only processes inside our own namespaces: all of them were started here.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
    fi
  done
  sleep 0.5
  for ns in "$cli" "$srv"; do
    if ip netns list | grep -qw -- "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null
    fi
  done
  if [ "${KEEP:-0}" = 1 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "capture-fixtures.sh: must run as root" >&2; exit 1; }

# --- tools ------------------------------------------------------------------
need_pkg() { # command package
  command -v "$1" >/dev/null && return 0
  log "installing $2"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y --no-install-recommends "$2" >/dev/null
}
need_pkg dnsmasq dnsmasq-base
need_pkg tcpdump tcpdump
need_pkg dhclient isc-dhcp-client
if ! command -v dhcpcd >/dev/null; then
  if apt-cache policy dhcpcd-base 2>/dev/null | grep -q 'Candidate: [0-9]'; then need_pkg dhcpcd dhcpcd-base; else need_pkg dhcpcd dhcpcd5; fi
fi
need_pkg udhcpc udhcpc
command -v node >/dev/null || { echo "capture-fixtures.sh: node is required" >&2; exit 1; }

v_dnsmasq="dnsmasq $(dnsmasq --version | sed -n '1s/^Dnsmasq version \([^ ]*\).*/\1/p')"
v_dhclient="dhclient $(dhclient --version 2>&1 | sed 's/^isc-dhclient-//')"
v_dhcpcd="dhcpcd $(dhcpcd --version | sed -n '1s/^dhcpcd //p')"
v_udhcpc="udhcpc (BusyBox $(busybox 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p'))"
log "server $v_dnsmasq; clients $v_dhclient, $v_dhcpcd, $v_udhcpc"

# --- network ----------------------------------------------------------------
ip netns add "$srv"
ip netns add "$cli"
ip -n "$srv" link add vs0 type veth peer name vc0 netns "$cli"
ip -n "$srv" link set lo up
ip -n "$cli" link set lo up
ip netns exec "$srv" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.vs0.accept_dad=0
ip netns exec "$cli" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.vc0.accept_dad=0
ip -n "$srv" link set vs0 address 00:00:5e:00:53:01
ip -n "$srv" addr add 192.0.2.1/24 dev vs0
ip -n "$srv" addr add 2001:db8:1::1/64 dev vs0 nodad
ip -n "$srv" link set vs0 up

# Gives the client interface a fresh MAC (so each client gets its own lease
# and link-local address) and removes what the previous client configured.
reset_client_link() { # mac
  ip -n "$cli" link set vc0 down
  ip -n "$cli" addr flush dev vc0
  ip -n "$cli" link set vc0 address "$1"
  # dhcpcd turns off the kernel's link-local address generation; undo that.
  ip netns exec "$cli" sysctl -qw net.ipv6.conf.vc0.addr_gen_mode=0 net.ipv6.conf.vc0.disable_ipv6=0
  ip -n "$cli" link set vc0 up
  wait_for 10 "link-local address on vc0" \
    sh -c "ip -n '$cli' -6 addr show dev vc0 scope link | grep -q 'inet6 fe80' && ! ip -n '$cli' -6 addr show dev vc0 | grep -q tentative"
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then log "timed out waiting for $what"; return 1; fi
    sleep 0.2
  done
}

# --- server -----------------------------------------------------------------
leases="$work/dnsmasq.leases"
: >"$leases"
# Short leases (2 minutes, dnsmasq's minimum) so renewals happen within a run.
ip netns exec "$srv" dnsmasq --no-daemon --conf-file=/dev/null --no-hosts --no-resolv \
  --pid-file="$work/dnsmasq.pid" --log-facility="$work/dnsmasq.log" \
  --no-ping --port=0 --interface=vs0 --bind-interfaces --dhcp-authoritative \
  --dhcp-range=192.0.2.100,192.0.2.200,255.255.255.0,2m \
  --dhcp-range=2001:db8:1::100,2001:db8:1::200,64,2m --enable-ra \
  --dhcp-option=option:dns-server,192.0.2.53 \
  --dhcp-option=option6:dns-server,[2001:db8:1::53] \
  --dhcp-option=option:router,192.0.2.1 \
  --dhcp-option=option:domain-name,example.com \
  --dhcp-option=option:domain-search,example.com,eng.example.com \
  --dhcp-option=option6:domain-search,example.com,eng.example.com \
  --dhcp-option=option:classless-static-route,198.51.100.0/24,192.0.2.1,0.0.0.0/0,192.0.2.1 \
  --dhcp-option=option:mtu,1500 \
  --dhcp-option=option:ntp-server,192.0.2.123 \
  --dhcp-option=option6:ntp-server,[2001:db8:1::123] \
  --dhcp-option=option6:information-refresh-time,3600 \
  --dhcp-rapid-commit \
  --dhcp-leasefile="$leases" --log-dhcp 2>>"$work/dnsmasq.stderr" &
wait_for 10 "dnsmasq" grep -q "sockets bound" "$work/dnsmasq.log"

ip netns exec "$srv" tcpdump -i vs0 -n -U -Z root -s 0 -w "$work/capture.pcap" \
  'udp port 67 or udp port 68 or udp port 546 or udp port 547' 2>"$work/tcpdump.log" &
tcpdump_pid=$!
wait_for 10 "tcpdump" grep -q 'listening on' "$work/tcpdump.log"

# --- clients ----------------------------------------------------------------
hook="$work/hook.sh"
# The client "script": logs the event and, for dhclient/udhcpc (which leave
# addressing to their script), puts the leased address on vc0 so that unicast
# RENEW/RELEASE can be sent. It runs only inside the client namespace and never
# writes resolv.conf.
cat >"$hook" <<EOF
#!/bin/sh
echo "\$(date +%s.%N) arg=\${1:-} reason=\${reason:-} ip=\${ip:-}\${new_ip_address:-} ip6=\${new_ip6_address:-}" >>"$work/hook.log"
case "\${1:-}" in
  bound|renew) [ -n "\${ip:-}" ] && ip addr replace "\$ip/\${mask:-24}" dev "\$interface" ;;
esac
case "\${reason:-}" in
  BOUND|RENEW|REBIND|REBOOT) [ -n "\${new_ip_address:-}" ] && [ -z "\${ifcarrier:-}\${ifwireless:-}" ] && ip addr replace "\$new_ip_address/24" dev "\$interface" ;;
  BOUND6|RENEW6|REBIND6|REBOOT6) [ -n "\${new_ip6_address:-}" ] && ip -6 addr replace "\$new_ip6_address/\${new_ip6_prefixlen:-128}" dev "\$interface" nodad ;;
esac
exit 0
EOF
chmod 755 "$hook"
: >"$work/hook.log"
printf 'nameserver 192.0.2.53\n' >"$work/resolv.conf"

# Runs a client in the client network namespace and in a private mount
# namespace with temporary /run, state directories and resolv.conf.
in_client() {
  ip netns exec "$cli" unshare -m --propagation private sh -c '
    mount -t tmpfs tmpfs /run
    mkdir -p /var/lib/dhcp /var/lib/dhcpcd
    mount -t tmpfs tmpfs /var/lib/dhcp
    mount -t tmpfs tmpfs /var/lib/dhcpcd
    mount --bind "$0" /etc/resolv.conf
    exec "$@"' "$work/resolv.conf" "$@"
}

steps="$work/steps.tsv"
: >"$steps"
step_start() { step_t0=$(date +%s.%N); step_client=$1; step_version=$2; step_note=$3; log "step: $1: $3"; }
step_end() { sleep 0.3; printf '%s\t%s\t%s\t%s\t%s\n' "$step_t0" "$(date +%s.%N)" "$step_client" "$step_version" "$step_note" >>"$steps"; }
hook_lines() { wc -l <"$work/hook.log"; }
hook_after() { # N PATTERN: a hook line after line N matches PATTERN
  tail -n +"$(( $1 + 1 ))" "$work/hook.log" | grep -q -- "$2"
}
v4_lease_for() { grep -qi " $1 " "$leases"; }
v6_lease_count() { awk '$3 ~ /^2001:db8/' "$leases" | wc -l; }
# Stops every process in the client namespace (all started by this script):
# TERM, then KILL after 5 s; then reaps the background job given.
stop_clients() { # job-pid
  local i q
  for q in $(ip netns pids "$cli"); do kill -TERM "$q" 2>/dev/null || true; done
  for i in $(seq 25); do [ -z "$(ip netns pids "$cli")" ] && break; sleep 0.2; done
  for q in $(ip netns pids "$cli"); do kill -KILL "$q" 2>/dev/null || true; done
  wait "$1" 2>/dev/null || true
}
client_pid() { # comm: the oldest process of that name in the client namespace
  local q
  for q in $(ip netns pids "$cli" | sort -n); do
    [ "$(cat /proc/"$q"/comm 2>/dev/null)" = "$1" ] && { echo "$q"; return 0; }
  done
  return 1
}

# dhclient ------------------------------------------------------------------
cat >"$work/dhclient.conf" <<'EOF'
option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
send host-name "incusx-fixture";
request subnet-mask, broadcast-address, time-offset, routers, domain-name,
  domain-name-servers, domain-search, host-name, interface-mtu, ntp-servers,
  rfc3442-classless-static-routes, dhcp6.name-servers, dhcp6.domain-search,
  dhcp6.sntp-servers;
timeout 20;
retry 5;
EOF
dhc() { in_client dhclient -cf "$work/dhclient.conf" -sf "$hook" "$@"; }
dhc4=(-4 -lf "$work/dhclient4.leases" -pf "$work/dhclient4.pid")
dhc6=(-6 -lf "$work/dhclient6.leases" -pf "$work/dhclient6.pid")

reset_client_link 00:00:5e:00:53:10
step_start dhclient "$v_dhclient" "first lease"
dhc "${dhc4[@]}" -d -v vc0 2>>"$work/dhclient.log" &
p=$!
wait_for 30 "dhclient v4 lease" v4_lease_for 00:00:5e:00:53:10 || true
wait_for 10 "dhclient BOUND" grep -q 'reason=BOUND' "$work/hook.log" || true
# -x: stop without releasing, so the next start does an INIT-REBOOT.
dhc "${dhc4[@]}" -x vc0 2>>"$work/dhclient.log" || true
stop_clients "$p"
step_end

step_start dhclient "$v_dhclient" "INIT-REBOOT with the remembered lease, then release"
n=$(hook_lines)
dhc "${dhc4[@]}" -d -v vc0 2>>"$work/dhclient.log" &
p=$!
wait_for 30 "dhclient REBOOT" hook_after "$n" 'reason=\(REBOOT\|BOUND\)' || true
dhc "${dhc4[@]}" -r vc0 2>>"$work/dhclient.log" || true
stop_clients "$p"
step_end

step_start dhclient "$v_dhclient" "INIT-REBOOT for an address on another network (NAK)"
ip -n "$cli" addr flush dev vc0 scope global
cat >"$work/dhclient4.leases" <<'EOF'
lease {
  interface "vc0";
  fixed-address 198.51.100.77;
  option subnet-mask 255.255.255.0;
  option dhcp-lease-time 3600;
  option dhcp-server-identifier 198.51.100.1;
  renew 6 2099/01/01 00:00:00;
  rebind 6 2099/01/01 00:00:00;
  expire 6 2099/01/01 00:00:00;
}
EOF
n=$(hook_lines)
dhc "${dhc4[@]}" -d -v vc0 2>>"$work/dhclient.log" &
p=$!
wait_for 40 "dhclient lease after NAK" hook_after "$n" 'reason=BOUND' || true
dhc "${dhc4[@]}" -r vc0 2>>"$work/dhclient.log" || true
stop_clients "$p"
step_end

step_start dhclient "$v_dhclient" "DHCPv6 stateful lease"
before=$(v6_lease_count)
dhc "${dhc6[@]}" -d -v vc0 2>>"$work/dhclient.log" &
p=$!
wait_for 30 "dhclient v6 lease" sh -c "[ \$(awk '\$3 ~ /^2001:db8/' '$leases' | wc -l) -gt $before ]" || true
wait_for 10 "dhclient BOUND6" grep -q 'reason=BOUND6' "$work/hook.log" || true
dhc "${dhc6[@]}" -x vc0 2>>"$work/dhclient.log" || true
stop_clients "$p"
step_end

step_start dhclient "$v_dhclient" "DHCPv6 restart with the remembered lease (CONFIRM), then release"
n=$(hook_lines)
dhc "${dhc6[@]}" -d -v vc0 2>>"$work/dhclient.log" &
p=$!
wait_for 30 "dhclient v6 rebind" hook_after "$n" 'reason=\(REBOOT6\|BOUND6\|RENEW6\)' || true
dhc "${dhc6[@]}" -r vc0 2>>"$work/dhclient.log" || true
stop_clients "$p"
step_end

step_start dhclient "$v_dhclient" "DHCPv6 stateless (INFORMATION-REQUEST)"
n=$(hook_lines)
dhc -6 -S -1 -lf "$work/dhclient6s.leases" -pf "$work/dhclient6s.pid" -d -v vc0 2>>"$work/dhclient.log" &
p=$!
wait_for 20 "dhclient stateless reply" hook_after "$n" 'reason=' || true
stop_clients "$p"
step_end

step_start dhclient "$v_dhclient" "DHCPv6 prefix delegation request (dnsmasq has no prefixes)"
dhc -6 -P -lf "$work/dhclient6p.leases" -pf "$work/dhclient6p.pid" -d -v vc0 2>>"$work/dhclient.log" &
p=$!
sleep 4
stop_clients "$p"
step_end

# dhcpcd ----------------------------------------------------------------------
dhcpcd_conf() { # file extra-lines
  cat >"$1" <<EOF
hostname incusx-fixture
fqdn both
vendorclassid incusx-fixture
# Without this the DHCPv6 vendor class carries the host's kernel and CPU.
vendclass 32473 incusx-fixture
option domain_name_servers, domain_name, domain_search, host_name
option classless_static_routes, interface_mtu, ntp_servers
option dhcp6_name_servers, dhcp6_domain_search
require dhcp_server_identifier
noarp
ipv6rs
ia_na
$2
EOF
}
# dhcpcd asks for Rapid Commit per family only when told to.
# The Rapid Commit run identifies by MAC (61 type 1), the others by
# IAID+DUID (RFC 4361).
dhcpcd_conf "$work/dhcpcd.conf" "clientid
option rapid_commit
option dhcp6_rapid_commit"
dhcpcd_conf "$work/dhcpcd-norc.conf" "duid"
dcd() { # conf args...: dhcpcd in the foreground with our script
  local conf=$1
  shift
  in_client dhcpcd -B -d -f "$conf" -c "$hook" "$@" 2>>"$work/dhcpcd.log"
}
dcd_ctl() { # args...: a control command in the running dhcpcd's namespaces
  local pid
  pid=$(client_pid dhcpcd) || { log "no dhcpcd running for: dhcpcd $*"; return 0; }
  nsenter -t "$pid" -m -n dhcpcd "$@" 2>>"$work/dhcpcd.log" || true
}

reset_client_link 00:00:5e:00:53:20
step_start dhcpcd "$v_dhcpcd" "DHCPv4 and DHCPv6 with Rapid Commit, rebind, then release"
before=$(v6_lease_count)
dcd "$work/dhcpcd.conf" vc0 &
p=$!
wait_for 40 "dhcpcd v4 lease" v4_lease_for 00:00:5e:00:53:20 || true
wait_for 40 "dhcpcd v6 lease" sh -c "[ \$(awk '\$3 ~ /^2001:db8/' '$leases' | wc -l) -gt $before ]" || true
wait_for 15 "dhcpcd BOUND" grep -q 'reason=BOUND ' "$work/hook.log" || true
sleep 1
n=$(hook_lines)
dcd_ctl -n vc0
wait_for 15 "dhcpcd rebind" hook_after "$n" 'reason=\(REBOOT\|RENEW\|REBIND\|BOUND\)' || true
sleep 3
dcd_ctl -k vc0
sleep 2
stop_clients "$p"
step_end

reset_client_link 00:00:5e:00:53:21
step_start dhcpcd "$v_dhcpcd" "DHCPv4 without Rapid Commit asking for 192.0.2.150, renew after T1, release"
dcd "$work/dhcpcd-norc.conf" -4 -r 192.0.2.150 -l 120 vc0 &
p=$!
wait_for 40 "dhcpcd v4 lease" v4_lease_for 00:00:5e:00:53:21 || true
n=$(hook_lines)
# dnsmasq's T1 for a 2-minute lease is 60 s.
wait_for 75 "dhcpcd renew" hook_after "$n" 'reason=RENEW' || true
dcd_ctl -k vc0
sleep 1
stop_clients "$p"
step_end

reset_client_link 00:00:5e:00:53:22
step_start dhcpcd "$v_dhcpcd" "DHCPv6 without Rapid Commit, renew after T1, release"
before=$(v6_lease_count)
dcd "$work/dhcpcd-norc.conf" -6 vc0 &
p=$!
wait_for 40 "dhcpcd v6 lease" sh -c "[ \$(awk '\$3 ~ /^2001:db8/' '$leases' | wc -l) -gt $before ]" || true
n=$(hook_lines)
wait_for 75 "dhcpcd renew6" hook_after "$n" 'reason=RENEW6' || true
dcd_ctl -k vc0
sleep 1
stop_clients "$p"
step_end

# udhcpc ----------------------------------------------------------------------
reset_client_link 00:00:5e:00:53:30
step_start udhcpc "$v_udhcpc" "lease, renew (SIGUSR1), release on exit"
n=$(hook_lines)
in_client udhcpc -f -i vc0 -s "$hook" -R -t 5 -T 2 -A 2 \
  -x hostname:incusx-fixture -V incusx-fixture -F incusx-fixture \
  -O search -O staticroutes -O ntpsrv -O mtu 2>>"$work/udhcpc.log" &
p=$!
wait_for 30 "udhcpc lease" v4_lease_for 00:00:5e:00:53:30 || true
wait_for 10 "udhcpc bound" hook_after "$n" 'arg=bound' || true
n=$(hook_lines)
pid=$(client_pid udhcpc) || pid=""
[ -n "$pid" ] && kill -USR1 "$pid"
wait_for 10 "udhcpc renew" hook_after "$n" 'arg=renew' || true
[ -n "$pid" ] && kill -TERM "$pid"
sleep 1
stop_clients "$p"
step_end

# --- extract ----------------------------------------------------------------
sleep 0.5
kill -INT "$tcpdump_pid" 2>/dev/null || true
wait "$tcpdump_pid" 2>/dev/null || true
log "$(ls -l "$work/capture.pcap")"

STEPS="$steps" PCAP="$work/capture.pcap" OUT="$out" SERVER="$v_dnsmasq" node --input-type=module <<'EOF'
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const steps = readFileSync(process.env.STEPS, "utf8").trim().split("\n").map((l) => {
  const [t0, t1, client, version, note] = l.split("\t");
  return { t0: Number(t0), t1: Number(t1), client, version, note };
});
const pcap = readFileSync(process.env.PCAP);
const magic = pcap.readUInt32LE(0);
if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error("Not a little-endian pcap file");
const nanos = magic === 0xa1b23c4d;
if (pcap.readUInt32LE(20) !== 1) throw new Error("Link type is not EN10MB");

const V4_TYPES = ["?", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"];
const V6_TYPES = ["?", "SOLICIT", "ADVERTISE", "REQUEST", "CONFIRM", "RENEW", "REBIND", "REPLY", "RELEASE",
  "DECLINE", "RECONFIGURE", "INFORMATION-REQUEST", "RELAY-FORW", "RELAY-REPL"];

function v4Type(p) {
  for (let i = 240; i < p.length; ) {
    const code = p[i];
    if (code === 0) { i++; continue; }
    if (code === 255 || i + 1 >= p.length) break;
    if (code === 53) return V4_TYPES[p[i + 2]] ?? `TYPE${p[i + 2]}`;
    i += 2 + p[i + 1];
  }
  return "BOOTP";
}
const v6Has = (p, want) => {
  for (let i = 4; i + 4 <= p.length; ) {
    const code = p.readUInt16BE(i), len = p.readUInt16BE(i + 2);
    if (code === want) return true;
    i += 4 + len;
  }
  return false;
};
const v4Has = (p, want) => {
  for (let i = 240; i < p.length; ) {
    const code = p[i];
    if (code === 0) { i++; continue; }
    if (code === 255 || i + 1 >= p.length) break;
    if (code === want) return true;
    i += 2 + p[i + 1];
  }
  return false;
};

const found = { v4: [], v6: [] };
for (let off = 24; off + 16 <= pcap.length; ) {
  const sec = pcap.readUInt32LE(off), frac = pcap.readUInt32LE(off + 4), incl = pcap.readUInt32LE(off + 8);
  const ts = sec + frac / (nanos ? 1e9 : 1e6);
  const frame = pcap.subarray(off + 16, off + 16 + incl);
  off += 16 + incl;
  let type = frame.readUInt16BE(12), l3 = 14;
  while (type === 0x8100) { type = frame.readUInt16BE(l3 + 2); l3 += 4; }
  let l4, family;
  if (type === 0x0800) {
    if (frame[l3 + 9] !== 17) continue;
    l4 = l3 + (frame[l3] & 0x0f) * 4;
    family = "v4";
  } else if (type === 0x86dd) {
    let next = frame[l3 + 6];
    l4 = l3 + 40;
    while (next === 0 || next === 43 || next === 60) { next = frame[l4]; l4 += (frame[l4 + 1] + 1) * 8; }
    if (next !== 17) continue;
    family = "v6";
  } else continue;
  const sport = frame.readUInt16BE(l4), dport = frame.readUInt16BE(l4 + 2), ulen = frame.readUInt16BE(l4 + 4);
  const payload = frame.subarray(l4 + 8, l4 + ulen);
  const toServer = dport === 67 || dport === 547;
  const step = steps.find((s) => ts >= s.t0 && ts <= s.t1);
  if (!step) continue;
  found[family].push({ ts, payload, toServer, step });
}

for (const family of ["v4", "v6"]) {
  const dir = join(process.env.OUT, family);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith(".json")) rmSync(join(dir, f));
  const seen = new Set();
  const counters = new Map();
  let written = 0;
  for (const { payload, toServer, step } of found[family]) {
    const hex = payload.toString("hex");
    if (seen.has(hex)) continue;
    seen.add(hex);
    let msg = family === "v4" ? v4Type(payload) : (V6_TYPES[payload[0]] ?? `TYPE${payload[0]}`);
    // RFC 2131 4.3.2: which state a REQUEST was sent in.
    let state = "";
    if (family === "v4" && msg === "REQUEST") {
      const ciaddr = payload.readUInt32BE(12);
      state = v4Has(payload, 54) ? " (SELECTING)" : ciaddr !== 0 ? " (RENEWING/REBINDING)" : " (INIT-REBOOT)";
    }
    const rapid = family === "v4" ? v4Has(payload, 80) : v6Has(payload, 14);
    const name0 = msg.toLowerCase() + (rapid ? "-rapid-commit" : "");
    const n = (counters.get(step.client) ?? 0) + 1;
    counters.set(step.client, n);
    const file = `${step.client}-${String(n).padStart(2, "0")}-${name0}.json`;
    const who = toServer ? step.client : `dnsmasq ${msg} to ${step.client}`;
    const description = `${toServer ? `${step.client} ${msg}${state}` : who}${rapid ? " (Rapid Commit)" : ""}; ${step.note}`;
    const fixture = {
      description,
      client: step.version,
      server: process.env.SERVER,
      direction: toServer ? "client->server" : "server->client",
      hex,
    };
    writeFileSync(join(dir, file), JSON.stringify(fixture, null, 2) + "\n");
    written++;
    console.error(`[capture] ${family}/${file}: ${description}`);
  }
  console.error(`[capture] ${family}: ${written} fixtures (${found[family].length} packets captured)`);
}
EOF
