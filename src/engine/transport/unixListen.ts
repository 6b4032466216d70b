// Listening on a unix socket path the way QEMU and the bridge's --listen do:
// a stale socket file from an earlier run is replaced, but a live listener
// (another program) or a file that is not a socket is never touched.
import { lstatSync, unlinkSync } from 'node:fs'
import net from 'node:net'

import { UserError } from '../errors.js'

export interface UnixListener {
  /** Stops listening (also before listening began); resolves when closed. */
  close(): Promise<void>
}

/** Starts listening on `path`; `onFatal` gets one sentence if it cannot, `onListening` a call once it does. */
export function listenOnUnixSocket(
  path: string, onConnection: (socket: net.Socket) => void, onFatal: (error: Error) => void, onListening?: () => void
): UnixListener {
  const server = net.createServer(onConnection)
  let closed = false
  const probe = net.connect(path)
  probe.once('connect', () => {
    probe.destroy()
    if (!closed) onFatal(new UserError(`Another program is already listening on ${path}; stop it or choose another --socket path.`))
  })
  probe.once('error', () => {
    if (closed) return
    try {
      removeStaleSocket(path)
    } catch (error) {
      onFatal(error as Error)
      return
    }
    server.on('error', (error: NodeJS.ErrnoException) => {
      onFatal(new UserError(`Cannot listen on ${path} (${error.code}); check the folder's permissions or choose another --socket path.`))
    })
    server.listen(path, onListening)
  })
  return {
    close() {
      closed = true
      probe.destroy()
      return new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))
    }
  }
}

/** Removes a socket left by an earlier run; refuses to touch anything that is not a socket. */
function removeStaleSocket(path: string): void {
  let stat
  try {
    stat = lstatSync(path)
  } catch {
    return
  }
  if (!stat.isSocket()) throw new UserError(`${path} exists and is not a socket; remove it or choose another --socket path.`)
  unlinkSync(path)
}
