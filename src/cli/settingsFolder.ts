// Where Tunscope keeps what it remembers between runs: the app's settings, the DHCP leases.
import { homedir } from 'node:os'
import { join } from 'node:path'

export function settingsFolder(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'tunscope')
}
