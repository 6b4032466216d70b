#!/usr/bin/env node
// QEMU's TCP end of a UART or NIC stream, reduced to a relay the test drives.
//   tcpPeer.mjs [PORT]            `-serial tcp::PORT,server,nowait`: listens on
//                                 127.0.0.1 (port 0 = any) inside the namespace it
//                                 runs in, serves one client at a time
//   tcpPeer.mjs connect HOST PORT `-netdev stream,server=off`: connects, trying
//                                 again every 50 ms until something listens
// Either way it copies the peer's bytes to standard output and standard input's
// bytes to the peer. Standard error gets one line per event: "listening PORT",
// "connected", "closed". Ends when standard input closes.
import net from 'node:net'

let client = null
const serve = (socket) => {
  client = socket
  process.stderr.write('connected\n')
  socket.on('data', (chunk) => process.stdout.write(chunk))
  socket.on('error', () => {})
  socket.on('close', () => {
    client = null
    process.stderr.write('closed\n')
  })
}
process.stdin.on('data', (chunk) => client?.write(chunk))
process.stdin.on('end', () => process.exit(0))

if (process.argv[2] === 'connect') {
  const [host, port] = process.argv.slice(3)
  const attempt = () => {
    const socket = net.connect({ host, port: Number(port), noDelay: true })
    socket.once('connect', () => serve(socket))
    socket.once('error', () => {
      if (client !== socket) setTimeout(attempt, 50)
    })
  }
  attempt()
} else {
  const server = net.createServer((socket) => {
    if (client) {
      socket.destroy()
      return
    }
    serve(socket)
  })
  server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stderr.write(`listening ${server.address().port}\n`))
}
