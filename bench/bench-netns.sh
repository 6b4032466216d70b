# Sourced by the bench scripts: a private network namespace $ns with a TUN (tun0,
# 192.168.100.1/24) for the bridge, removed with the scratch folder $scratch on exit.
# An array, not a function: "${in_ns[@]}" CMD & must leave $! the command's own
# PID (a backgrounded function is a subshell, and killing that leaves CMD running).
finish() {
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
  sleep 0.2
  ip netns del "$ns" 2>/dev/null
  rm -rf "$scratch"
}
trap finish EXIT
in_ns=(ip netns exec "$ns")
ip netns add "$ns"
"${in_ns[@]}" ip link set lo up
"${in_ns[@]}" ip tuntap add dev tun0 mode tun
"${in_ns[@]}" ip addr add 192.168.100.1/24 dev tun0
"${in_ns[@]}" ip link set tun0 txqueuelen 10000 up
