// The inspector's display filter: Wireshark-like expressions such as `tcp.port == 80 && !arp`,
// compiled once into a predicate over FrameFacts. A tokenizer, a recursive-descent parser that
// builds a small AST, and a compile step that turns the AST into closures. `dev == NAME` names a
// device of the bridge: the names are the capture's interfaces (StatusMessage.interfaces), given
// when the filter is compiled, so it is compiled again when a device is added.
import { isTextRecord } from '../../../engine/counters'
import { TcpFlag } from '../../../engine/decode/tcp'
import { Proto, type FrameFacts } from './frameFacts'

export type FilterMatch = (f: FrameFacts) => boolean

export type CompiledFilter =
  | { ok: true; match: FilterMatch; empty: boolean }
  | { ok: false; message: string; position: number } // position: 1-based column

// ---- Fields

type Op = '==' | '!=' | '<' | '<=' | '>' | '>='
type ValueKind = 'protocol' | 'number' | 'flag' | 'direction' | 'ipv4' | 'ipv6' | 'device'

interface Field {
  value: ValueKind
  present: FilterMatch // the frame has the field; a comparison on a frame without it is false
  bare: FilterMatch | null // the field alone as a test; null: it needs a comparison
  ends: Array<(f: FrameFacts) => number> // one value per end: ip.addr is the source and the destination
  ends6: Array<(f: FrameFacts) => Uint8Array> // the same for IPv6 addresses
}

const EQUALITY: readonly string[] = ['==', '!=']
const ALL_OPS: readonly string[] = ['==', '!=', '<', '<=', '>', '>=']

/** What each kind of field is compared with: the operators it takes, and the value it needs, for messages. */
const VALUE_KINDS: Record<ValueKind, { ops: readonly string[]; expects: string }> = {
  protocol: { ops: [], expects: '' },
  number: { ops: ALL_OPS, expects: 'a number' },
  flag: { ops: EQUALITY, expects: '0 or 1' },
  direction: { ops: EQUALITY, expects: 'to-device or from-device' },
  ipv4: { ops: EQUALITY, expects: 'an IPv4 address' },
  ipv6: { ops: EQUALITY, expects: 'an IPv6 address' },
  device: { ops: EQUALITY, expects: 'a device name (letters, digits, ".", "_" or "-", up to 32)' }
}

/** A device's name as the bridge takes it (ExtraDeviceSettings.name). */
export const DEVICE_NAME = /^[A-Za-z0-9._-]{1,32}$/

/** What the filter is compiled against besides its text. */
export interface FilterContext {
  /** The capture's interface names by id (a record's port): what `dev == NAME` looks names up in. */
  interfaces?: readonly string[]
}

const DIRECTIONS: Record<string, number> = { 'from-device': 0, 'to-device': 1 }

const always: FilterMatch = () => true
const has = (bit: number): FilterMatch => (f) => (f.protocols & bit) !== 0

function field(value: ValueKind, present: FilterMatch, ends: Field['ends'] = [], ends6: Field['ends6'] = []): Field {
  return { value, present, bare: present, ends, ends6 }
}

function tcpFlag(bit: number): Field {
  const set = (f: FrameFacts): boolean => (f.protocols & Proto.tcp) !== 0 && (f.tcpFlags & bit) !== 0
  // Alone, a flag is true when its bit is set (not merely when TCP is there, as Wireshark has it).
  return { ...field('flag', has(Proto.tcp), [(f) => (set(f) ? 1 : 0)]), bare: set }
}

const src4 = (f: FrameFacts): number => f.src4
const dst4 = (f: FrameFacts): number => f.dst4
const src6 = (f: FrameFacts): Uint8Array => f.src6
const dst6 = (f: FrameFacts): Uint8Array => f.dst6
const srcPort = (f: FrameFacts): number => f.srcPort
const dstPort = (f: FrameFacts): number => f.dstPort

// A Map, not an object: a word such as "constructor" must not find a field.
const FIELDS = new Map<string, Field>([
  ...Object.entries(Proto).map(([name, bit]): [string, Field] => [name, field('protocol', has(bit))]),
  ['errors', field('protocol', (f) => f.error !== 0 && !isTextRecord(f.error))],
  // Text a framing carried beside frames (tunslip6's control messages and debug lines).
  ['text', field('protocol', (f) => isTextRecord(f.error))],
  ['frame', field('protocol', always)],
  ['frame.len', field('number', always, [(f) => f.wireLength])],
  ['dir', { ...field('direction', always, [(f) => f.direction]), bare: null }],
  // The device a record came from or went to, by name (its capture port, looked up when compiled).
  ['dev', { ...field('device', always, [(f) => f.port]), bare: null }],
  ['device', { ...field('device', always, [(f) => f.port]), bare: null }],
  ['ip.addr', field('ipv4', has(Proto.ip), [src4, dst4])],
  ['ip.src', field('ipv4', has(Proto.ip), [src4])],
  ['ip.dst', field('ipv4', has(Proto.ip), [dst4])],
  ['ipv6.addr', field('ipv6', has(Proto.ipv6), [], [src6, dst6])],
  ['ipv6.src', field('ipv6', has(Proto.ipv6), [], [src6])],
  ['ipv6.dst', field('ipv6', has(Proto.ipv6), [], [dst6])],
  ['tcp.port', field('number', has(Proto.tcp), [srcPort, dstPort])],
  ['tcp.srcport', field('number', has(Proto.tcp), [srcPort])],
  ['tcp.dstport', field('number', has(Proto.tcp), [dstPort])],
  ['udp.port', field('number', has(Proto.udp), [srcPort, dstPort])],
  ['udp.srcport', field('number', has(Proto.udp), [srcPort])],
  ['udp.dstport', field('number', has(Proto.udp), [dstPort])],
  ['tcp.flags.syn', tcpFlag(TcpFlag.SYN)],
  ['tcp.flags.ack', tcpFlag(TcpFlag.ACK)],
  ['tcp.flags.fin', tcpFlag(TcpFlag.FIN)],
  ['tcp.flags.rst', tcpFlag(TcpFlag.RST)],
  ['tcp.flags.push', tcpFlag(TcpFlag.PSH)]
])

/** Every name the filter knows, for autocompletion and hints. */
export const FILTER_FIELDS: readonly string[] = [...FIELDS.keys()]

// ---- Values

type Value =
  | { kind: 'number'; n: number } // numbers, flags (0/1) and directions
  | { kind: 'ipv4'; net: number; mask: number }
  | { kind: 'ipv6'; net: Uint8Array; prefix: number }
  | { kind: 'device'; ports: number[] } // the capture ports of that name; none: a name not (yet) seen

function parseNumber(text: string): number | undefined {
  if (!/^(?:0x[0-9a-f]+|[0-9]+)$/i.test(text)) return undefined
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : undefined
}

/** 'a.b.c.d' as an unsigned 32-bit number. */
function parseIpv4(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part) || Number(part) > 255) return undefined
    value = value * 256 + Number(part)
  }
  return value
}

/** 16-bit groups of one side of '::'; a dotted IPv4 tail counts as two groups where allowed. */
function ipv6Groups(text: string, ipv4Tail: boolean): number[] | undefined {
  if (text === '') return []
  const groups: number[] = []
  const parts = text.split(':')
  for (let i = 0; i < parts.length; i++) {
    const v4 = ipv4Tail && i === parts.length - 1 && parts[i].includes('.') ? parseIpv4(parts[i]) : undefined
    if (v4 !== undefined) groups.push(Math.floor(v4 / 0x10000), v4 & 0xffff)
    else if (/^[0-9a-f]{1,4}$/i.test(parts[i])) groups.push(parseInt(parts[i], 16))
    else return undefined
  }
  return groups
}

/** An IPv6 address in any RFC 4291 text form ('::' compression, IPv4 tail) as 16 bytes. */
function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = ipv6Groups(halves[0], halves.length === 1)
  const tail = halves.length === 2 ? ipv6Groups(halves[1], true) : []
  if (!head || !tail) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail]
  const bytes = new Uint8Array(16)
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8
    bytes[2 * i + 1] = g & 0xff
  })
  return bytes
}

/** 'address/prefix' or a bare address (a prefix of all `bits`). */
function splitPrefix(text: string, bits: number): { address: string; prefix: number } | undefined {
  const slash = text.indexOf('/')
  if (slash < 0) return { address: text, prefix: bits }
  const prefix = text.slice(slash + 1)
  if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > bits) return undefined
  return { address: text.slice(0, slash), prefix: Number(prefix) }
}

function parseValue(kind: ValueKind, text: string): Value | undefined {
  const lower = text.toLowerCase()
  switch (kind) {
    case 'number': {
      const n = parseNumber(text)
      return n === undefined ? undefined : { kind: 'number', n }
    }
    case 'flag': {
      const n = lower === 'true' ? 1 : lower === 'false' ? 0 : parseNumber(text)
      return n === 0 || n === 1 ? { kind: 'number', n } : undefined
    }
    case 'direction':
      return Object.hasOwn(DIRECTIONS, lower) ? { kind: 'number', n: DIRECTIONS[lower] } : undefined
    case 'ipv4': {
      const cidr = splitPrefix(text, 32)
      const address = cidr && parseIpv4(cidr.address)
      if (!cidr || address === undefined) return undefined
      // `<< 32` is `<< 0` in JavaScript, hence the special case.
      const mask = cidr.prefix === 0 ? 0 : (0xffffffff << (32 - cidr.prefix)) >>> 0
      return { kind: 'ipv4', net: (address & mask) >>> 0, mask }
    }
    case 'ipv6': {
      const cidr = splitPrefix(text, 128)
      const net = cidr && parseIpv6(cidr.address)
      return cidr && net ? { kind: 'ipv6', net, prefix: cidr.prefix } : undefined
    }
    case 'protocol':
    case 'device': // looked up in the context (Parser.deviceValue)
      return undefined
  }
}

// ---- Tokens

interface Token {
  type: 'word' | 'string' | 'op' | 'end' // string: "…" (a device name), text without the quotes
  text: string // as written
  op: string // operators normalised: 'and' is '&&', 'eq' is '=='
  at: number // 1-based column
}

const WORD_CHAR = /[A-Za-z0-9_.:/-]/
const SYMBOLS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')']
const WORD_OPS = new Map([
  ['and', '&&'], ['or', '||'], ['not', '!'], ['eq', '=='], ['ne', '!='], ['lt', '<'], ['le', '<='], ['gt', '>'], ['ge', '>=']
])
// Half an operator is a common slip.
const HALVES: Record<string, string> = { '=': '==', '&': '&&', '|': '||' }

/** `what` is wrong at `position`; the hint ('; did you mean …?') follows the position. */
class FilterError extends Error {
  constructor(what: string, readonly position: number, hint = '') {
    super(`${what} at ${position}${hint}`)
  }
}

function unexpectedCharacter(text: string, i: number): FilterError {
  const c = String.fromCodePoint(text.codePointAt(i) ?? 0)
  if (Object.hasOwn(HALVES, c)) return new FilterError(`Unexpected "${c}"`, i + 1, `; did you mean "${HALVES[c]}"?`)
  return new FilterError(`Unexpected character ${JSON.stringify(c)}`, i + 1)
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  for (let i = 0; i < text.length; ) {
    if (/\s/.test(text[i])) {
      i++
      continue
    }
    const at = i + 1
    if (WORD_CHAR.test(text[i])) {
      let end = i + 1
      while (end < text.length && WORD_CHAR.test(text[end])) end++
      const word = text.slice(i, end)
      const op = WORD_OPS.get(word.toLowerCase())
      tokens.push({ type: op ? 'op' : 'word', text: word, op: op ?? '', at })
      i = end
      continue
    }
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1)
      if (close < 0) throw new FilterError('Unclosed quote', at)
      tokens.push({ type: 'string', text: text.slice(i + 1, close), op: '', at })
      i = close + 1
      continue
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i))
    if (!symbol) throw unexpectedCharacter(text, i)
    tokens.push({ type: 'op', text: symbol, op: symbol, at })
    i += symbol.length
  }
  tokens.push({ type: 'end', text: '', op: '', at: text.length + 1 })
  return tokens
}

// ---- Parser: or := and ('||' and)* ; and := not ('&&' not)* ; not := '!'* primary ; primary := '(' or ')' | test

type Node =
  | { kind: 'or' | 'and'; operands: Node[] }
  | { kind: 'not'; operand: Node }
  | { kind: 'test'; test: FilterMatch } // a protocol, or a field alone
  | { kind: 'compare'; field: Field; op: Op; value: Value }

// Deeper nesting than any person types; the limit keeps hostile input from exhausting the stack.
const MAX_DEPTH = 64

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

function suggestion(word: string): string {
  if (parseIpv4(word) !== undefined) return `; did you mean ip.addr == ${word}?`
  if (word.length > 32) return ''
  let best = ''
  let bestDistance = Math.min(3, word.length)
  for (const name of FIELDS.keys()) {
    const d = distance(word, name)
    if (d < bestDistance) {
      best = name
      bestDistance = d
    }
  }
  return best ? `; did you mean ${best}?` : ''
}

class Parser {
  private pos = 0
  private depth = 0

  constructor(private readonly tokens: Token[], private readonly context: FilterContext) {}

  parse(): Node {
    const node = this.parseOr()
    const t = this.peek()
    if (t.type !== 'end') throw this.unexpected(t)
    return node
  }

  private peek(): Token {
    return this.tokens[this.pos]
  }

  private parseOr(): Node {
    return this.parseChain('or', '||', () => this.parseAnd())
  }

  private parseAnd(): Node {
    return this.parseChain('and', '&&', () => this.parseNot())
  }

  /** operand (op operand)*, as one n-ary node: a long chain must not make a deep tree to recurse through. */
  private parseChain(kind: 'or' | 'and', op: string, operand: () => Node): Node {
    const operands = [operand()]
    while (this.peek().op === op) {
      this.pos++
      operands.push(operand())
    }
    return operands.length === 1 ? operands[0] : { kind, operands }
  }

  private parseNot(): Node {
    // A loop, not recursion: '!!!!…' must not deepen the stack.
    let negations = 0
    while (this.peek().op === '!') {
      this.pos++
      negations++
    }
    const operand = this.parsePrimary()
    return negations % 2 === 1 ? { kind: 'not', operand } : operand
  }

  private parsePrimary(): Node {
    const open = this.peek()
    if (open.type === 'word') return this.parseTest()
    if (open.op !== '(') throw this.expectedOperand(open)
    if (this.depth === MAX_DEPTH) throw new FilterError(`More than ${MAX_DEPTH} nested "("`, open.at)
    this.pos++
    this.depth++
    const inner = this.parseOr()
    const close = this.peek()
    if (close.type === 'end') throw new FilterError('Unclosed "("', open.at)
    if (close.op !== ')') throw this.unexpected(close)
    this.pos++
    this.depth--
    return inner
  }

  private parseTest(): Node {
    const word = this.tokens[this.pos++]
    const name = word.text.toLowerCase()
    const field = FIELDS.get(name)
    if (!field) throw new FilterError(`Unknown field ${JSON.stringify(word.text)}`, word.at, suggestion(name))
    const op = this.peek()
    const kind = VALUE_KINDS[field.value]
    if (!ALL_OPS.includes(op.op)) {
      // 'tcp.port 80': a value where the operator belongs.
      if (op.type === 'word' && kind.ops.length > 0) throw new FilterError(`Expected an operator such as "==" before "${op.text}"`, op.at)
      if (field.bare) return { kind: 'test', test: field.bare }
      throw new FilterError(`Expected "==" or "!=" after ${name}`, op.at)
    }
    if (!kind.ops.includes(op.op)) throw new FilterError(`Operator "${op.text}" does not apply to ${name}`, op.at)
    this.pos++
    const v = this.peek()
    const value = field.value === 'device'
      ? (v.type === 'word' || v.type === 'string' ? this.deviceValue(v.text) : undefined)
      : v.type === 'word' ? parseValue(field.value, v.text) : undefined
    if (!value) throw new FilterError(`Expected ${kind.expects} after ${name} ${op.text}`, v.at)
    this.pos++
    return { kind: 'compare', field, op: op.op as Op, value }
  }

  /** A device's name: the capture ports that have it (none for a name not seen: not an error); undefined when it cannot be a name. */
  private deviceValue(name: string): Value | undefined {
    if (!DEVICE_NAME.test(name)) return undefined
    const ports: number[] = []
    this.context.interfaces?.forEach((n, port) => n === name && ports.push(port))
    return { kind: 'device', ports }
  }

  /** A token where a field, a protocol, '!' or '(' should be. */
  private expectedOperand(t: Token): FilterError {
    const before = this.tokens[this.pos - 1]
    const where = before ? `after "${before.text}"` : `before "${t.text}"`
    return new FilterError(`Expected a field or protocol ${where}`, t.at)
  }

  /** A token after a complete expression that neither continues nor ends it. */
  private unexpected(t: Token): FilterError {
    if (t.op === ')') return new FilterError('Unmatched ")"', t.at)
    return new FilterError(`Expected "&&" or "||" before "${t.text}"`, t.at)
  }
}

// ---- Compile

function relation(op: Op, n: number): (x: number) => boolean {
  switch (op) {
    case '==': case '!=': return (x) => x === n // '!=' is negated over all ends by anyEnd
    case '<': return (x) => x < n
    case '<=': return (x) => x <= n
    case '>': return (x) => x > n
    case '>=': return (x) => x >= n
  }
}

function inPrefix(x: Uint8Array, net: Uint8Array, prefix: number): boolean {
  let i = 0
  for (; (i + 1) * 8 <= prefix; i++) if (x[i] !== net[i]) return false
  const rest = prefix - i * 8
  return rest === 0 || ((x[i] ^ net[i]) & (0xff << (8 - rest)) & 0xff) === 0
}

/**
 * Wireshark's semantics for a field with two ends: `==`, `<`… hold if either end does; `!=` holds if
 * no end is equal (so `ip.addr != X` is "neither end is X"). A frame without the field matches neither.
 */
function anyEnd<T>(present: FilterMatch, ends: Array<(f: FrameFacts) => T>, test: (x: T) => boolean, negate: boolean): FilterMatch {
  const [a, b] = ends
  const some: FilterMatch = b ? (f) => test(a(f)) || test(b(f)) : (f) => test(a(f))
  return negate ? (f) => present(f) && !some(f) : (f) => present(f) && some(f)
}

function compileCompare(field: Field, op: Op, value: Value): FilterMatch {
  const negate = op === '!='
  switch (value.kind) {
    case 'number': return anyEnd(field.present, field.ends, relation(op, value.n), negate)
    case 'ipv4': return anyEnd(field.present, field.ends, (x) => ((x ^ value.net) & value.mask) === 0, negate)
    case 'ipv6': return anyEnd(field.present, field.ends6, (x) => inPrefix(x, value.net, value.prefix), negate)
    case 'device': {
      const ports = value.ports
      return anyEnd(field.present, field.ends, ports.length === 1 ? (x) => x === ports[0] : (x) => ports.includes(x), negate)
    }
  }
}

function compile(node: Node): FilterMatch {
  switch (node.kind) {
    case 'test': return node.test
    case 'compare': return compileCompare(node.field, node.op, node.value)
    case 'not': {
      const operand = compile(node.operand)
      return (f) => !operand(f)
    }
    case 'and':
    case 'or': {
      // Short-circuit: 'and' stops at the first false operand, 'or' at the first true one.
      const decisive = node.kind === 'or'
      const operands = node.operands.map(compile)
      return (f) => {
        for (let i = 0; i < operands.length; i++) if (operands[i](f) === decisive) return decisive
        return !decisive
      }
    }
  }
}

/** Compiles a display filter; never throws. Empty text matches every record. */
export function compileFilter(text: string, context: FilterContext = {}): CompiledFilter {
  if (text.trim() === '') return { ok: true, match: always, empty: true }
  try {
    return { ok: true, match: compile(new Parser(tokenize(text), context).parse()), empty: false }
  } catch (e) {
    if (e instanceof FilterError) return { ok: false, message: e.message, position: e.position }
    throw e
  }
}
