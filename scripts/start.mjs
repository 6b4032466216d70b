#!/usr/bin/env node
// npm start: the desktop app where Electron's binary is installed; otherwise
// the same UI from `tunscope serve` in a browser (Electron's binary is not
// downloadable everywhere, e.g. with ELECTRON_SKIP_BINARY_DOWNLOAD=1).
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const electronDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'))
// Read where the binary should be without require('electron'), which would try to download it.
const pathFile = join(electronDir, 'path.txt')
const binary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null

const run = (command, args) => spawn(command, args, { cwd: root, stdio: 'inherit' }).on('exit', (code) => process.exit(code ?? 1))

if (binary && existsSync(binary)) {
  run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'preview'])
} else {
  console.error("Electron's binary is not installed here (run npm install without ELECTRON_SKIP_BINARY_DOWNLOAD to get it), so the inspector is served to your browser instead:")
  run(process.execPath, [join(root, 'bin', 'tunscope.mjs'), 'serve', ...process.argv.slice(2)])
}
