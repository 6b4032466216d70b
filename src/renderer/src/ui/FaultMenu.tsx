// The demo device's faults, as a menu button: each item puts one fault on the
// wire and names the inspector counter it shows up in.
import { DEMO_FAULTS, FAULT_TEXT, type DemoFault } from '../../../shared/demoFaults'
import { MenuButton } from './MenuButton'

export function FaultMenu({ onFault }: { onFault(fault: DemoFault): void }): React.JSX.Element {
  return (
    <MenuButton label="Faults ▾" title="Have the demo device put a fault on the wire" menuLabel="Demo faults">
      {(close) => DEMO_FAULTS.map((fault) => (
        <button key={fault} type="button" role="menuitem" tabIndex={-1} onClick={() => { onFault(fault); close() }}>
          <span>{FAULT_TEXT[fault].label}</span>{' '}
          <span className="muted">{FAULT_TEXT[fault].counter}</span>
        </button>
      ))}
    </MenuButton>
  )
}
