#!/usr/bin/env bash
# framing-bench.sh FRAMING NAME 'BRIDGE COMMAND' [SIZE ...]
#
# The shared bench.sh for any framing tunscope speaks (esp32, qemu, slip): one
# bridge command in a private network namespace, fed by framing_pump.c on the
# device side and by the shared reference pump's sink and blast on the host
# side. Prints one JSON line per direction and IP packet size (default 64 1400):
#   {"bridge":NAME,"dir":"d2h|h2d","size":N,"pps":..,"mbps":..}
# d2h counts the UDP datagrams the host's sink receives, h2d the complete
# records framing_pump reads from the bridge. {SOCK} and {TUN} in the command
# are replaced; tun0 (192.168.100.1/24) exists, persistent and up, before the
# bridge starts. BENCH_SECS (3) is each run's length; the C tools are built
# into BENCH_BIN (~/.cache/tunscope-bench, as bench.sh does).
set -u
if [ $# -lt 3 ]; then echo "usage: framing-bench.sh FRAMING NAME 'BRIDGE COMMAND' [SIZE ...]" >&2; exit 2; fi
framing=$1 name=$2 command=$3
shift 3
sizes=${*:-64 1400}
secs=${BENCH_SECS:-3}
here=$(dirname "$(readlink -f "$0")")
shared=${TUNSCOPE_BENCH_DIR:-$here/../../shared/bench}
bin=${BENCH_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/tunscope-bench}
mkdir -p "$bin"
build() { # build SOURCE BINARY, unless the binary is newer
  [ "$bin/$2" -nt "$1" ] || gcc -O2 -o "$bin/$2" "$1" || exit 1
}
build "$shared/pump.c" pump
build "$here/framing_pump.c" framing_pump

ns=tunscope-fbench$$
scratch=$(mktemp -d)
sock=$scratch/device.sock
. "$here/bench-netns.sh"

bridge_command=${command//\{SOCK\}/$sock}
bridge_command=${bridge_command//\{TUN\}/tun0}
# /dev/null is bind-mounted onto itself in the bridge's own mount namespace
# (ip netns exec makes one per command): a bridge that fails to start removes
# the file it was given for --pcap, and /dev/null must survive that.
start_bridge() {
  "${in_ns[@]}" bash -c "mount --bind /dev/null /dev/null; exec $bridge_command" >"$scratch/bridge.log" 2>&1 &
  bridge=$!
}
stop() { # stop PID...: end the helpers of one run
  for pid in "$@"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
}
# line DIR SIZE FILE: one JSON result line from a pump's report; when nothing
# got through, the bridge's output goes to stderr
line() {
  node -e '
    const { readFileSync } = require("fs")
    const [name, dir, size, file, log] = process.argv.slice(1)
    let r = { frames: 0, bytes: 0, seconds: 0 }
    try { r = JSON.parse(readFileSync(file, "utf8")) } catch {}
    const s = r.seconds || 1
    console.log(JSON.stringify({ bridge: name, dir, size: Number(size), pps: Math.round(r.frames / s), mbps: Math.round(r.bytes * 8 / s / 1e5) / 10 }))
    if (!r.frames) process.stderr.write(`framing-bench: ${name} moved nothing ${dir}; the bridge said:\n${readFileSync(log, "utf8")}`)
  ' "$name" "$@" "$scratch/bridge.log"
}

for size in $sizes; do
  # device -> host: the sink counts for $secs from its first datagram
  "${in_ns[@]}" "$bin/pump" sink 9999 "$secs" >"$scratch/sink.json" &
  sink=$!
  "${in_ns[@]}" "$bin/framing_pump" d2h "$framing" "$sock" "$size" $((secs + 1)) >"$scratch/d2h.json" &
  pump=$!
  sleep 0.3
  start_bridge
  wait $sink
  stop $pump $bridge
  line d2h "$size" "$scratch/sink.json"

  # host -> device: framing_pump counts for $secs from the first record
  "${in_ns[@]}" "$bin/framing_pump" h2d "$framing" "$sock" "$secs" >"$scratch/h2d.json" &
  pump=$!
  sleep 0.3
  start_bridge
  sleep 0.5
  "${in_ns[@]}" "$bin/pump" blast 192.168.100.2 9 "$size" $((secs + 1)) >/dev/null &
  blast=$!
  wait $pump
  stop $blast $bridge
  line h2d "$size" "$scratch/h2d.json"
  if grep -q '"bad":[1-9]' "$scratch/h2d.json"; then
    echo "framing-bench: the bridge wrote malformed $framing records: $(cat "$scratch/h2d.json")" >&2
  fi
done
