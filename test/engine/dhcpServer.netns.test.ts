// The DHCP server against tshark and against real clients.
// - tshark decodes every answer to the captured requests as DHCP with the right options, good IPv4
//   and UDP checksums and no expert info.
// - End to end: busybox udhcpc and ISC dhclient, each in a namespace on one end of a veth pair, get
//   their address, router, mask, DNS and lease from this server, which runs in the test process behind
//   test/fixtures/dhcp/packet_pipe.py (an AF_PACKET socket on the other end, in a second namespace).
//   The pipe also answers ARP the way the bridge does (proxy ARP), so unicast renewals and releases
//   reach the server.
import { spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ETHERTYPE_ARP, etherTypeAt, isArpRequestForOther, arpTargetIpEquals, writeProxyArpReply } from '../../src/engine/ethernet'
import { DHCP_ANSWER_MAX, DhcpServer, isDhcpRequest, type DhcpServerConfig } from '../../src/engine/services/dhcpServer'
import { requireTshark, skipTshark, tsharkFields, tsharkTitleNote } from '../capture/tshark'
import { createNamespace, destroyAll, pythonExecutable, requireNetns, skipNetns, type Netns } from '../helpers/netns'
import * as real from '../fixtures/dhcp/requests'
import { DEVICE_IP, GATEWAY_MAC, HOST_IP, ip4 } from './dhcpServerFrames'

const PIPE = fileURLToPath(new URL('../fixtures/dhcp/packet_pipe.py', import.meta.url))

const config: DhcpServerConfig = {
  hostIp: HOST_IP,
  prefixLength: 24,
  deviceIp: DEVICE_IP,
  gatewayMac: GATEWAY_MAC,
  leaseSeconds: 120,
  dnsServers: [ip4('9.9.9.9'), ip4('1.1.1.1')]
}

/** A classic pcap file (Ethernet) of `frames`. */
function writePcap(path: string, frames: Uint8Array[]): void {
  const parts = [Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex')]
  frames.forEach((frame, i) => {
    const header = Buffer.alloc(16)
    header.writeUInt32LE(i, 0)
    header.writeUInt32LE(frame.length, 8)
    header.writeUInt32LE(frame.length, 12)
    parts.push(header, Buffer.from(frame))
  })
  writeFileSync(path, Buffer.concat(parts))
}

const DHCP_FIELDS = [
  'dhcp.option.dhcp', 'dhcp.ip.your', 'dhcp.option.dhcp_server_id', 'dhcp.option.ip_address_lease_time', 'dhcp.option.renewal_time_value',
  'dhcp.option.rebinding_time_value', 'dhcp.option.subnet_mask', 'dhcp.option.router', 'dhcp.option.domain_name_server',
  'ip.dst', 'ip.checksum.status', 'udp.checksum.status', '_ws.expert', '_ws.malformed'
]
const TSHARK_CHECKSUMS = ['-n', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-E', 'occurrence=a', '-E', 'aggregator=,']

let work: string
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tsdhcp-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe.skipIf(skipTshark)(`DHCP server answers, decoded by tshark${tsharkTitleNote}`, () => {
  it('are DHCP Offer, ACK and NAK with the right options, good checksums and no expert info', () => {
    requireTshark()
    let now = 0
    const s = new DhcpServer(config, { now: () => now })
    const answers: Uint8Array[] = []
    for (const request of [real.udhcpcDiscover, real.udhcpcRequestSelecting, real.udhcpcRequestRenewing, real.dhclientRequestSelecting, real.dhcpcdDiscover]) {
      const out = new Uint8Array(DHCP_ANSWER_MAX)
      answers.push(out.slice(0, s.answer(request, 0, request.length, out, 0)))
      now += 1000
    }
    const file = join(work, 'answers.pcap')
    writePcap(file, answers.filter((a) => a.length > 0))
    const r = tsharkFields(file, DHCP_FIELDS, TSHARK_CHECKSUMS)
    expect(r.status).toBe(0)
    expect(r.complaints).toEqual([])
    const full = ['192.168.100.2', '192.168.100.1', '120', '60', '105', '255.255.255.0', '192.168.100.1', '9.9.9.9,1.1.1.1']
    expect(r.rows).toEqual([
      ['2', ...full, '192.168.100.2', '1', '1', '', ''], // OFFER to udhcpc, unicast to yiaddr
      ['5', ...full, '192.168.100.2', '1', '1', '', ''], // ACK, selecting
      ['5', ...full, '192.168.100.2', '1', '1', '', ''], // ACK, renewing: to ciaddr
      ['6', '0.0.0.0', '192.168.100.1', '', '', '', '', '', '', '255.255.255.255', '1', '1', '', ''] // NAK: dhclient is another client
      // dhcpcd's DISCOVER: ignored, udhcpc holds the lease.
    ])
    expect(s.counters).toMatchObject({ offers: 1, acks: 2, naks: 1, ignored: { otherClient: 1 } })
  })
})

/** The server behind the packet pipe: answers DHCP with the server and ARP with proxy ARP, and records both ways. */
class PipedServer {
  readonly frames: Uint8Array[] = []
  readonly answers: Uint8Array[] = []
  private pending = Buffer.alloc(0)
  private readonly out = new Uint8Array(DHCP_ANSWER_MAX)
  err = ''

  constructor(
    readonly server: DhcpServer,
    private readonly child: ChildProcess
  ) {
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (s: string) => (this.err += s))
    child.stdout!.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk])
      while (this.pending.length >= 2 && this.pending.length >= 2 + this.pending.readUInt16BE(0)) {
        const n = this.pending.readUInt16BE(0)
        this.onFrame(new Uint8Array(this.pending.subarray(2, 2 + n)))
        this.pending = this.pending.subarray(2 + n)
      }
    })
  }

  async ready(): Promise<void> {
    for (let i = 0; i < 200 && !this.err.includes('ready'); i++) await new Promise((r) => setTimeout(r, 25))
    if (!this.err.includes('ready')) throw new Error(`packet_pipe.py not ready: ${this.err}`)
  }

  private onFrame(frame: Uint8Array): void {
    this.frames.push(frame)
    let n = 0
    if (isDhcpRequest(frame, 0, frame.length)) n = this.server.answer(frame, 0, frame.length, this.out, 0)
    else if (frame.length >= 42 && etherTypeAt(frame, 0) === ETHERTYPE_ARP && isArpRequestForOther(frame, 0) && !arpTargetIpEquals(frame, 0, DEVICE_IP)) {
      n = writeProxyArpReply(frame, 0, GATEWAY_MAC, this.out, 0)
    }
    if (n === 0) return
    const answer = this.out.slice(0, n)
    this.frames.push(answer)
    if (isDhcpReply(answer)) this.answers.push(answer)
    const record = Buffer.alloc(2 + n)
    record.writeUInt16BE(n, 0)
    record.set(answer, 2)
    this.child.stdin!.write(record)
  }
}

/** A client's event script in the work directory: logs and configures what it is given. */
function writeScript(name: string, lines: string[]): string {
  const path = join(work, name)
  writeFileSync(path, ['#!/bin/sh', ...lines, ''].join('\n'))
  chmodSync(path, 0o755)
  return path
}

async function until(done: () => boolean, why: () => string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > end) throw new Error(`timed out: ${why()}`)
  }
}

const isDhcpReply = (f: Uint8Array): boolean => f.length > 42 && f[12] === 8 && f[13] === 0 && f[36] === 0 && f[37] === 68

/** The real clients: each test is skipped where its client is missing, and fails instead under TUNSCOPE_REQUIRE_NETNS=1. */
const clientsRequired = process.env.TUNSCOPE_REQUIRE_NETNS === '1'
const missing = (command: string, pkg: string): string | null =>
  spawnSync('sh', ['-c', `command -v ${command}`]).status === 0 ? null : `${command} is missing (apt-get install ${pkg})`
const noBusybox = missing('busybox', 'busybox-static')
const noDhclient = missing('dhclient', 'isc-dhcp-client')
for (const why of [noBusybox, noDhclient]) if (why && !skipNetns && !clientsRequired) console.warn(`[dhcp] ${why}: its end-to-end test is skipped`)
const requireClient = (why: string | null): void => {
  if (why) throw new Error(why)
}

describe.skipIf(skipNetns)('DHCP server end to end: real clients get the device address', () => {
  let cli: Netns
  let srv: Netns
  let piped: PipedServer
  const clientMac = '02:00:00:00:00:12'

  beforeAll(async () => {
    requireNetns()
    cli = await createNamespace('tsdhcpc')
    srv = await createNamespace('tsdhcps')
    const run = async (ns: Netns, ...args: string[]): Promise<void> => void (await ns.exec('ip', args, { check: true }))
    await run(cli, 'link', 'add', 'vc', 'address', clientMac, 'type', 'veth', 'peer', 'name', 'vs', 'netns', srv.name)
    await run(srv, 'link', 'set', 'vs', 'address', '6a:8a:9e:9d:25:dd', 'up')
    await run(cli, 'link', 'set', 'vc', 'up')
    const child = srv.spawn(pythonExecutable(), ['-u', PIPE, 'vs'], { stdio: ['pipe', 'pipe', 'pipe'] })
    piped = new PipedServer(new DhcpServer(config, { now: () => performance.now() }), child)
    await piped.ready()
  })
  afterAll(() => destroyAll())

  const addresses = async (): Promise<string> => (await cli.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'vc'])).stdout
  const defaultRoute = async (): Promise<string> => (await cli.exec('ip', ['-4', 'route', 'show', 'default'])).stdout

  it.skipIf(noBusybox !== null && !clientsRequired)('busybox udhcpc configures 192.168.100.2/24, router, DNS and lease from the server, and releases it', async () => {
    requireClient(noBusybox)
    const log = join(work, 'udhcpc.log')
    const script = writeScript('udhcpc.script', [
      `echo "$1 ip=$ip mask=$mask router=$router dns=$dns lease=$lease serverid=$serverid" >> ${log}`,
      'case "$1" in',
      '  bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface"; ip route replace default via "$router" dev "$interface" ;;',
      '  deconfig) ip addr flush dev "$interface" ;;',
      'esac'
    ])
    const r = await cli.exec('busybox', ['udhcpc', '-i', 'vc', '-n', '-q', '-t', '4', '-T', '2', '-s', script, '-x', 'hostname:tsdevice'])
    expect(r.code, r.stderr + piped.err).toBe(0)
    expect(r.stderr).toContain('lease of 192.168.100.2 obtained from 192.168.100.1, lease time 120')
    expect(readFileSync(log, 'utf8')).toContain('bound ip=192.168.100.2 mask=24 router=192.168.100.1 dns=9.9.9.9 1.1.1.1 lease=120 serverid=192.168.100.1')
    expect(await addresses()).toContain('inet 192.168.100.2/24')
    expect(await defaultRoute()).toContain('default via 192.168.100.1 dev vc')
    expect(piped.server.lease).toMatchObject({ bound: true, mac: Uint8Array.from([2, 0, 0, 0, 0, 0x12]) })
    expect(piped.server.counters).toMatchObject({ offers: 1, acks: 1, naks: 0 })

    // Again in the foreground, releasing on SIGTERM (-R): the RELEASE is unicast to the server, which
    // the client finds through proxy ARP, and frees the address.
    const daemon = cli.spawn('busybox', ['udhcpc', '-i', 'vc', '-f', '-R', '-t', '4', '-T', '2', '-s', script])
    let stderr = ''
    daemon.stderr!.setEncoding('utf8')
    daemon.stderr!.on('data', (t: string) => (stderr += t))
    const exited = new Promise((res) => daemon.once('close', res))
    // Bound on the client's side, not only answered on ours: a SIGTERM while the ACK is in flight releases nothing.
    await until(() => piped.server.counters.acks === 2 && stderr.includes('lease of 192.168.100.2 obtained'), () => stderr)
    // The client's kernel must know the server's MAC (by proxy ARP) before the release: udhcpc runs its
    // deconfig script right after sending it, and a release still waiting for an ARP answer when the
    // script flushes the address is dropped with it.
    await cli.exec('ping', ['-n', '-q', '-c', '1', '-W', '1', '192.168.100.1'])
    expect((await cli.exec('ip', ['neigh', 'show', '192.168.100.1', 'dev', 'vc'])).stdout).toContain('lladdr 6a:8a:9e:9d:25:dd') // GATEWAY_MAC, from the proxy ARP answer
    daemon.kill('SIGTERM')
    await exited
    expect(stderr).toMatch(/unicasting a release of 192.168.100.2 to 192.168.100.1/)
    await until(() => piped.server.counters.releases === 1, () => stderr)
    expect(piped.server.counters).toMatchObject({ acks: 2, releases: 1 })
    expect(piped.server.lease).toBeNull()
  })

  it.skipIf(noDhclient !== null && !clientsRequired)('ISC dhclient gets the same address, router and lease, and releases it', async () => {
    requireClient(noDhclient)
    await cli.exec('ip', ['addr', 'flush', 'dev', 'vc'])
    const log = join(work, 'dhclient.log')
    const script = writeScript('dhclient.script', [
      `echo "$reason ip=$new_ip_address mask=$new_subnet_mask routers=$new_routers dns=$new_domain_name_servers lease=$new_dhcp_lease_time server=$new_dhcp_server_identifier" >> ${log}`,
      'case "$reason" in',
      '  BOUND|RENEW|REBOOT) ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface" ;;',
      'esac'
    ])
    const files = ['-lf', join(work, 'dhclient.leases'), '-pf', join(work, 'dhclient.pid')]
    const r = await cli.exec('timeout', ['30', 'dhclient', '-4', '-1', '-v', '-sf', script, ...files, 'vc'])
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(log, 'utf8')).toContain('BOUND ip=192.168.100.2 mask=255.255.255.0 routers=192.168.100.1 dns=9.9.9.9 1.1.1.1 lease=120 server=192.168.100.1')
    expect(await addresses()).toContain('inet 192.168.100.2/24')
    expect(piped.server.lease?.bound).toBe(true)
    // dhclient -r: the unicast RELEASE frees the address.
    const releases = piped.server.counters.releases
    const release = await cli.exec('timeout', ['30', 'dhclient', '-4', '-r', '-v', '-sf', script, ...files, 'vc'])
    expect(release.stderr).toContain('DHCPRELEASE of 192.168.100.2 on vc to 192.168.100.1 port 67')
    await until(() => piped.server.counters.releases === releases + 1, () => release.stderr)
    expect(piped.server.lease).toBeNull()
  })

  it.skipIf(skipTshark)(`every answer on the wire decodes in tshark without expert info${tsharkTitleNote}`, () => {
    requireTshark()
    const file = join(work, 'e2e.pcap')
    writePcap(file, piped.answers)
    const r = tsharkFields(file, ['dhcp.option.dhcp', 'dhcp.ip.your', 'ip.checksum.status', 'udp.checksum.status', '_ws.expert'], TSHARK_CHECKSUMS)
    expect(r.complaints).toEqual([])
    expect(r.rows.length).toBeGreaterThanOrEqual(4)
    for (const row of r.rows) expect(row).toEqual([expect.stringMatching(/^[256]$/), expect.any(String), '1', '1', ''])
    writePcap(join(work, 'e2e-all.pcap'), piped.frames) // both ways, for a look when a test fails
  })
})
