#!/usr/bin/env bash
# multi-bench.sh DEVICES NAME 'BRIDGE COMMAND' [SIZE ...]
#
# DEVICES devices (1 or more) on one bridge in a private network namespace, as
# the shared bench.sh runs one: each device is bench/multi_pump.c on a socket
# of its own with an address and MAC of its own (device k: 192.168.100.(k+1),
# 02:00:00:00:00:(k+1)); the host's ends are multi_pump's sink (counting by
# source address) and blast (one process, sending to the devices' addresses in
# turn). The same programs run whatever DEVICES is. In the command, {SOCKETS}
# becomes the --socket options (one per device) and {TUN} the TUN (tun0,
# 192.168.100.1/24, persistent and up before the bridge starts).
#
# Prints one JSON line per direction and IP packet size (default 64 1400):
#   {"bridge":NAME,"devices":N,"dir":"d2h|h2d","size":S,"pps":..,"mbps":..,
#    "perDevice":[pps..],"offered":pps,"misrouted":n,"wrongMac":n,
#    "bridgeCpu":cores,"tunDropped":n}
# pps is the sum of the devices' own rates; d2h counts the datagrams the sink
# gets from each device's address in one window of BENCH_SECS (3) from the
# first; h2d each device's own count of the packets to its address, over
# BENCH_SECS from its first. "offered" is what the device pumps wrote (d2h) or
# the blast sent (h2d), per second. "bridgeCpu" is the bridge process's CPU
# time (user + system) over a stretch of the run inside the counting, in cores
# (1 = one core busy); "tunDropped" what tun0 dropped on its way to the bridge
# (h2d: its queue full). A device that got nothing is reported on stderr with
# the bridge's output.
set -u
if [ $# -lt 3 ]; then echo "usage: multi-bench.sh DEVICES NAME 'BRIDGE COMMAND' [SIZE ...]" >&2; exit 2; fi
devices=$1 name=$2 command=$3
shift 3
sizes=${*:-64 1400}
secs=${BENCH_SECS:-3}
here=$(dirname "$(readlink -f "$0")")
bin=${BENCH_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/tunscope-bench}
mkdir -p "$bin"
[ "$bin/multi_pump" -nt "$here/multi_pump.c" ] || gcc -O2 -Wall -o "$bin/multi_pump" "$here/multi_pump.c" || exit 1

ns=tunscope-mbench$$
scratch=$(mktemp -d)
. "$here/bench-netns.sh"

ips=() macs=() socks=() sockets=''
for k in $(seq 1 "$devices"); do
  ips+=("192.168.100.$((k + 1))")
  macs+=("$(printf '02:00:00:00:00:%02x' $((k + 1)))")
  socks+=("$scratch/dev$k.sock")
  sockets+=" --socket dev$k=$scratch/dev$k.sock"
done
bridge_command=${command//\{SOCKETS\}/$sockets}
bridge_command=${bridge_command//\{TUN\}/tun0}
start_bridge() {
  "${in_ns[@]}" bash -c "exec $bridge_command" >"$scratch/bridge.log" 2>&1 &
  bridge=$!
}
# cpu_mark: the bridge's CPU ticks and the time now, into cpu_ticks and cpu_time
cpu_mark() {
  local stat
  stat=$(cat /proc/$bridge/stat 2>/dev/null) || stat=''
  stat=${stat##*) }
  local fields=($stat)
  cpu_ticks=$(( ${fields[11]:-0} + ${fields[12]:-0} ))
  cpu_time=$(date +%s.%N)
}
# cpu_since TICKS TIME: the bridge's cores busy since that mark, into bridge_cpu
cpu_since() {
  local ticks0=$1 time0=$2
  cpu_mark
  bridge_cpu=$(awk -v t="$cpu_ticks" -v t0="$ticks0" -v s="$cpu_time" -v s0="$time0" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (t - t0) / hz / (s - s0) }')
}
tun_dropped() { "${in_ns[@]}" cat /sys/class/net/tun0/statistics/tx_dropped; }
stop() { # stop PID...: end the helpers of one run (BENCH_BRIDGE_LOG=1: the bridge's output to stderr)
  for pid in "$@"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if [ -n "${BENCH_BRIDGE_LOG:-}" ]; then cat "$scratch/bridge.log" >&2; fi
}
# result DIR SIZE: the JSON line from the reports in $scratch
result() {
  node -e '
    const { readFileSync } = require("fs")
    const [name, n, dir, size, scratch, ...ips] = process.argv.slice(1)
    const read = (file) => { try { return JSON.parse(readFileSync(`${scratch}/${file}`, "utf8")) } catch { return null } }
    const rate = (count, seconds) => (seconds > 0 ? count / seconds : 0)
    let perDevice, bytesPerSecond, offered, misrouted = 0, wrongMac = 0
    if (dir === "d2h") {
      const sink = read("sink.json") ?? { frames: 0, bytes: 0, seconds: 0, from: {} }
      perDevice = ips.map((ip) => rate(sink.from[ip] ?? 0, sink.seconds))
      // datagrams from anyone else would be a bench fault: count them as misrouted
      misrouted = sink.frames - ips.reduce((sum, ip) => sum + (sink.from[ip] ?? 0), 0)
      bytesPerSecond = rate(sink.bytes, sink.seconds)
      offered = ips.reduce((sum, _, k) => { const s = read(`d2h${k + 1}.json`); return sum + (s ? rate(s.frames, s.seconds) : 0) }, 0)
    } else {
      const got = ips.map((_, k) => read(`h2d${k + 1}.json`) ?? { frames: 0, bytes: 0, seconds: 0 })
      perDevice = got.map((g) => rate(g.frames, g.seconds))
      bytesPerSecond = got.reduce((sum, g) => sum + rate(g.bytes, g.seconds), 0)
      misrouted = got.reduce((sum, g) => sum + (g.misrouted ?? 0), 0)
      wrongMac = got.reduce((sum, g) => sum + (g.wrongMac ?? 0), 0)
      const blast = read("blast.json")
      offered = blast ? rate(blast.frames, blast.seconds) : 0
    }
    const [bridgeCpu, tunDropped] = [Number(process.env.BRIDGE_CPU), Number(process.env.TUN_DROPPED)]
    const pps = perDevice.reduce((a, b) => a + b, 0)
    console.log(JSON.stringify({ bridge: name, devices: Number(n), dir, size: Number(size), pps: Math.round(pps), mbps: Math.round(bytesPerSecond * 8 / 1e5) / 10, perDevice: perDevice.map(Math.round), offered: Math.round(offered), misrouted, wrongMac, bridgeCpu, tunDropped }))
    perDevice.forEach((p, k) => { if (!p) process.stderr.write(`multi-bench: ${name}: device ${k + 1} (${ips[k]}) got nothing ${dir}; the bridge said:\n${readFileSync(`${scratch}/bridge.log`, "utf8")}`) })
  ' "$name" "$devices" "$1" "$2" "$scratch" "${ips[@]}"
}

for size in $sizes; do
  rm -f "$scratch"/*.json
  # device -> host: every device writes as fast as the bridge takes its frames
  "${in_ns[@]}" "$bin/multi_pump" sink 9999 "$secs" >"$scratch/sink.json" &
  sink=$!
  pumps=()
  for k in $(seq 1 "$devices"); do
    "${in_ns[@]}" "$bin/multi_pump" d2h "${socks[k - 1]}" "${ips[k - 1]}" "${macs[k - 1]}" "$size" $((secs + 1)) >"$scratch/d2h$k.json" &
    pumps+=($!)
  done
  sleep 0.3
  dropped0=$(tun_dropped)
  start_bridge
  sleep 1 # the bridge started and the frames flowing
  cpu_mark
  ticks0=$cpu_ticks time0=$cpu_time
  wait $sink
  cpu_since "$ticks0" "$time0"
  stop "${pumps[@]}" $bridge
  BRIDGE_CPU=$bridge_cpu TUN_DROPPED=$(( $(tun_dropped) - dropped0 )) result d2h "$size"

  # host -> device: one blast to every device's address in turn
  pumps=()
  for k in $(seq 1 "$devices"); do
    "${in_ns[@]}" "$bin/multi_pump" h2d "${socks[k - 1]}" "${ips[k - 1]}" "${macs[k - 1]}" "$secs" >"$scratch/h2d$k.json" &
    pumps+=($!)
  done
  sleep 0.3
  start_bridge
  sleep 0.5
  dropped0=$(tun_dropped)
  cpu_mark
  ticks0=$cpu_ticks time0=$cpu_time
  "${in_ns[@]}" "$bin/multi_pump" blast 9 "$size" $((secs + 1)) "${ips[@]}" >"$scratch/blast.json" &
  blast=$!
  for pid in "${pumps[@]}"; do wait "$pid"; done
  cpu_since "$ticks0" "$time0"
  stop $blast $bridge
  BRIDGE_CPU=$bridge_cpu TUN_DROPPED=$(( $(tun_dropped) - dropped0 )) result h2d "$size"
done
