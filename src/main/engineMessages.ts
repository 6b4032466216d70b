// Messages between the main process and the engine's utility process
// (parentPort). The UI's own traffic never passes here: each window talks to
// the engine over a MessagePort of its own.

export type ToEngine =
  /** ports[0] is a window's MessagePort; it replaces the one that window had before. */
  | { type: 'connect'; window: number }
  | { type: 'export'; id: number; path: string }

export type ExportedMessage = { type: 'exported'; id: number } & ({ ok: true } | { ok: false; message: string })

/** How main hands the engine process its settings (utility processes see only their environment and argv). */
export const ENGINE_ENV = { settingsFile: 'TUNSCOPE_SETTINGS_FILE', application: 'TUNSCOPE_APPLICATION' } as const
