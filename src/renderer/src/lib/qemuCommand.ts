// The QEMU command line the start screen offers to copy (the README's), built
// from the socket path the user typed. Pure, no DOM: unit-tested in node.

/** Characters a POSIX shell takes literally in a bare word. */
const SHELL_SAFE = /^[\w@%+=:,./-]+$/

/** `word` as one shell word: bare when that is safe, else in single quotes. */
export function shellQuote(word: string): string {
  return SHELL_SAFE.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

/** `path` as the engine will use it: relative paths are under `baseDir`, so QEMU can be started from anywhere. */
export function absoluteSocketPath(baseDir: string, path: string): string {
  if (path.startsWith('/') || baseDir === '') return path
  return `${baseDir.replace(/\/+$/, '')}/${path.replace(/^(\.\/)+/, '')}`
}

/**
 * QEMU for the ESP32 firmware with UART1 served on `socketPath` (QEMU listens,
 * the bridge connects), one option per line as in the README. QEMU's option
 * syntax takes a comma in a value as two commas.
 */
export function qemuCommandLine(socketPath: string): string {
  const serial = `unix:${socketPath.replaceAll(',', ',,')},server,nowait`
  return [
    'qemu-system-xtensa -nographic -machine esp32 \\',
    '  -drive file=build/flash_image.bin,if=mtd,format=raw \\',
    '  -serial mon:stdio \\',
    `  -serial ${shellQuote(serial)}`
  ].join('\n')
}
