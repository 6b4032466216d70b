// The device's home page: its live counters, refreshed every 5 s (so a
// browser left open keeps a trickle of traffic on the inspector).
import type { StatusPage } from './apps/httpServer.js'
import type { DemoDeviceStats } from './demoDevice.js'

/** @param ip the device's address now (it may come by DHCP). */
export function statusPage(stats: () => DemoDeviceStats, ipNow: () => string): StatusPage {
  return {
    json: () => `${JSON.stringify(stats())}\n`,
    html() {
      const s = stats()
      const ip = ipNow()
      const rows: [string, string | number][] = [
        ['Uptime', `${s.uptimeSeconds} s`],
        ['UART frames in / out', `${s.uart.framesIn} / ${s.uart.framesOut}`],
        ['UART bytes in / out', `${s.uart.bytesIn} / ${s.uart.bytesOut}`],
        s.framing === 'esp32/ethernet' ? ['Bad lengths flushed', s.uart.badLengths] : ['Framing errors skipped', s.uart.badLengths],
        ['Pings answered', s.stack.echoReplies],
        ['ARP replies', s.stack.arpReplies],
        ['UDP datagrams in / out', `${s.stack.udpIn} / ${s.stack.udpOut}`],
        ['TCP connections open / total', `${s.tcp.active} / ${s.tcp.opened}`],
        ['TCP retransmissions', s.tcp.retransmissions],
        ['HTTP requests', s.httpRequests],
        ['Telemetry datagrams', s.telemetrySent],
        ['Faults injected', s.faultsInjected]
      ]
      return `<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>ESP32 demo device ${ip}</title>
<style>body{font:15px system-ui,sans-serif;margin:2em;color:#222}td{padding:2px 12px 2px 0}td:last-child{font-variant-numeric:tabular-nums}</style></head>
<body><h1>ESP32 demo device</h1><p>${ip}, served over UART1 by Tunscope's simulated firmware${s.framing === 'esp32/ethernet' ? '' : ` (framing ${s.framing})`}.</p>
<table>${rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('')}</table>
<p>Try <a href="/bytes/65536">/bytes/65536</a> for a download at the UART's pace, or <a href="/status.json">/status.json</a>.</p></body></html>
`
    }
  }
}
