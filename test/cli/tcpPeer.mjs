#!/usr/bin/env node
// QEMU's `-serial tcp::PORT,server,nowait`, reduced to a relay the test drives:
// listens on 127.0.0.1 (port 0 = any) inside the namespace it runs in, serves
// one client at a time, and copies the client's bytes to standard output and
// standard input's bytes to the client. Standard error gets one line per event:
// "listening PORT", "connected", "closed". Ends when standard input closes.
import net from 'node:net'

let client = null
const server = net.createServer((socket) => {
  if (client) {
    socket.destroy()
    return
  }
  client = socket
  process.stderr.write('connected\n')
  socket.on('data', (chunk) => process.stdout.write(chunk))
  socket.on('error', () => {})
  socket.on('close', () => {
    client = null
    process.stderr.write('closed\n')
  })
})
process.stdin.on('data', (chunk) => client?.write(chunk))
process.stdin.on('end', () => process.exit(0))
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stderr.write(`listening ${server.address().port}\n`))
