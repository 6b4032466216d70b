import react from '@vitejs/plugin-react'
import { defineConfig } from 'electron-vite'

export default defineConfig({
  main: {
    // engineProcess runs in a utility process (src/main/engineHost.ts). The TUN
    // addon is not bundled: src/native/index.ts finds it by path at run time.
    build: { rollupOptions: { input: { index: 'src/main/index.ts', engineProcess: 'src/main/engineProcess.ts' } } }
  },
  preload: {
    // A sandboxed preload must be CommonJS.
    build: { rollupOptions: { input: { index: 'src/preload/index.ts' }, output: { format: 'cjs', entryFileNames: '[name].cjs' } } }
  },
  renderer: {
    root: 'src/renderer',
    build: { rollupOptions: { input: { index: 'src/renderer/index.html' } } },
    plugins: [react()]
  }
})
