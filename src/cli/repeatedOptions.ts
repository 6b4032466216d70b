// Commander keeps the last of an option given twice. For the privileged
// helper that would let `--user me … --user root` pass a reviewer (or a
// polkit rule) that read the first, so there a repeated option is refused.
import type { Command } from 'commander'

/** Makes `command` refuse, as a usage error, any of its options given more than once. */
export function refuseRepeatedOptions(command: Command): Command {
  const seen = new Set<string>()
  for (const option of command.options) {
    const name = option.name()
    command.on(`option:${name}`, () => {
      if (seen.has(name)) command.error(`${option.long} was given more than once; give each option once`, { exitCode: 2, code: 'tunscope.repeatedOption' })
      seen.add(name)
    })
  }
  return command
}
