// The faults the demo device can put on the wire, by name: shared by the
// device, the command line and the inspector's menu (no Node, no DOM).

export const DEMO_FAULTS = ['junk', 'badLength', 'oversize', 'burst'] as const
export type DemoFault = (typeof DEMO_FAULTS)[number]

/** What each fault sends, and the inspector counter it shows up in. */
export const FAULT_TEXT: Record<DemoFault, { label: string; counter: string }> = {
  junk: { label: '48 bytes of junk', counter: 'implausible content, bytes skipped' },
  badLength: { label: 'A zero-length record', counter: 'zero length' },
  oversize: { label: 'A 1600-byte frame', counter: 'length over the device limit' },
  burst: { label: 'A burst that fills the line for 3 s', counter: 'utilization 100 %' }
}

export function isDemoFault(value: unknown): value is DemoFault {
  return typeof value === 'string' && (DEMO_FAULTS as readonly string[]).includes(value)
}
