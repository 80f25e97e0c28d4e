import { nodeCrypto } from '../core/node-crypto.js'
import { EmitOptimizerError } from '../errors.js'

// ---------------------------------------------------------------------------------------------
// Tagged-template helpers for building code in TypeScript/JavaScript
// ---------------------------------------------------------------------------------------------

/** What an interpolation may be: arrays become one item per line; null, undefined and false vanish. */
export type Interpolation = string | number | bigint | boolean | null | undefined | readonly Interpolation[]

function stringify(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return ''
  if (Array.isArray(value)) return join(value)
  return String(value)
}

// Raw strings keep backslashes as written (`/\d+/` stays `/\d+/`); only the escapes a template
// literal cannot do without (\` and \$) are undone.
const unescapeRaw = (raw: string): string => raw.replace(/\\([`$])/g, '$1')

/** Leading spaces and tabs of `line`. */
const indentOf = (line: string): string => /^[ \t]*/.exec(line)![0]

/**
 * Removes the common indentation, the first line when it is empty and the last line when it is
 * only whitespace. As a tag, a multi-line interpolation is indented like the line it is on:
 *
 * ```ts
 * dedent`
 *   export const routes = [
 *     ${routes.map((r) => `${JSON.stringify(r)},`)}
 *   ]
 * `
 * ```
 */
export function dedent(text: string): string
export function dedent(strings: TemplateStringsArray, ...values: Interpolation[]): string
export function dedent(input: string | TemplateStringsArray, ...values: Interpolation[]): string {
  // Interpolations are replaced by markers first, so the indentation is measured on the template alone.
  const marker = (i: number): string => `\u0000${i}\u0000`
  const source = typeof input === 'string' ? input : input.raw.map((part, i) => unescapeRaw(part) + (i < values.length ? marker(i) : '')).join('')
  const lines = source.split('\n')
  if (lines.length > 1 && lines[0]!.trim() === '') lines.shift()
  if (lines.length > 1 && lines[lines.length - 1]!.trim() === '') lines.pop()
  const margin = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => indentOf(line).length))
  const body = lines.map((line) => (line.trim() === '' ? '' : line.slice(Number.isFinite(margin) ? margin : 0)))
  return body
    // eslint-disable-next-line no-control-regex -- NUL marks a placeholder: no template text can contain it
    .map((line) => line.replace(/\u0000(\d+)\u0000/g, (_, i: string) => indent(stringify(values[Number(i)]), indentOf(line), { first: false })))
    .join('\n')
}

/**
 * Prefixes every non-empty line with `by` (a number of spaces or a string). With
 * `{ first: false }` the first line is left alone (for text that continues a line).
 */
export function indent(text: string, by: number | string = 2, options: { first?: boolean } = {}): string {
  const prefix = typeof by === 'number' ? ' '.repeat(by) : by
  if (prefix === '') return text
  return text
    .split('\n')
    .map((line, i) => (line === '' || (i === 0 && options.first === false) ? line : prefix + line))
    .join('\n')
}

/** Joins items, skipping null, undefined and false (for conditional lines): `join([a, cond && b])`. */
export function join(items: readonly Interpolation[], separator = '\n'): string {
  return items
    .filter((item) => item !== null && item !== undefined && item !== false)
    .map(stringify)
    .join(separator)
}

// ---------------------------------------------------------------------------------------------
// render(template, data): a small logic-less template language, compiled once per source
// ---------------------------------------------------------------------------------------------
//
//   {{ name }}  {{ route.path }}  {{ . }}   a value (strings, numbers, booleans; a missing value is an error)
//   {{ value | json }}                      JSON.stringify(value), for literals in generated code
//   {{#each items}} … {{/each}}             loop; inside, `.` is the item, plus @index, @first, @last
//   {{#if x}} … {{else}} … {{/if}}          also {{#unless x}}; empty arrays are false
//   {{! comment }}   \{{ (a literal "{{")
//
// A line holding only a block tag or a comment disappears entirely, and a multi-line value put
// on a line of its own is indented like its tag, so templates read like the code they produce.

type Path = { kind: 'this' } | { kind: 'meta'; name: '@index' | '@first' | '@last' } | { kind: 'key'; keys: string[] }

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; path: Path; source: string; json: boolean; indent: string; at: number }
  | { kind: 'if'; path: Path; negate: boolean; then: Node[]; else: Node[] }
  | { kind: 'each'; path: Path; source: string; body: Node[]; at: number }

/** A compiled template: renders `data` to a string. */
export type Template = (data: unknown) => string

const CACHE_LIMIT = 256
/** Compiled templates by the sha1 of their source, least recently used first. */
const cache = new Map<string, Template>()

/**
 * Compiles a template once per distinct source (cached by its hash; the cache keeps the 256
 * most recently used). Errors are EO_TEMPLATE with line and column.
 */
export function compileTemplate(source: string): Template {
  const key = nodeCrypto().hash('sha1', source, 'hex')
  const hit = cache.get(key)
  if (hit) {
    cache.delete(key)
    cache.set(key, hit)
    return hit
  }
  const nodes = parse(source, key)
  const template: Template = (data) => evaluate(nodes, [{ value: data }], source, key)
  cache.set(key, template)
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!)
  return template
}

/** Renders `template` (source text, see above) with `data`. */
export function render(template: string, data: unknown): string {
  return compileTemplate(template)(data)
}

function templateError(message: string, source: string, at: number, key: string, fix: string): EmitOptimizerError {
  const before = source.slice(0, at)
  const line = before.split('\n').length
  const column = at - before.lastIndexOf('\n')
  return new EmitOptimizerError('EO_TEMPLATE', `template error: ${message} at ${line}:${column} (template ${key.slice(0, 8)}). ${fix}`)
}

function parsePath(text: string, source: string, at: number, key: string): Path {
  if (text === '.' || text === 'this') return { kind: 'this' }
  if (text === '@index' || text === '@first' || text === '@last') return { kind: 'meta', name: text }
  if (!/^[A-Za-z_$][\w$-]*(\.[\w$-]+)*$/.test(text))
    throw templateError(
      `invalid value name ${JSON.stringify(text)}`,
      source,
      at,
      key,
      'Use a name or a dotted path such as route.path, ".", @index, @first or @last.',
    )
  return { kind: 'key', keys: text.split('.') }
}

const TAG = /\\\{\{|\{\{([\s\S]*?)\}\}/g

function parse(source: string, key: string): Node[] {
  const root: Node[] = []
  // Open blocks, innermost last; `target` is where nodes go (then/else/body).
  const stack: Array<{ node: Extract<Node, { kind: 'if' | 'each' }>; name: string; at: number; target: Node[] }> = []
  const target = (): Node[] => stack[stack.length - 1]?.target ?? root
  let textFrom = 0
  const pushText = (end: number): void => {
    if (end > textFrom) target().push({ kind: 'text', text: source.slice(textFrom, end) })
  }

  for (const match of source.matchAll(TAG)) {
    const at = match.index
    if (match[0] === '\\{{') {
      pushText(at)
      target().push({ kind: 'text', text: '{{' })
      textFrom = at + 3
      continue
    }
    const body = match[1]!.trim()
    const end = at + match[0].length
    const lineStart = source.lastIndexOf('\n', at - 1) + 1
    const newline = source.indexOf('\n', end)
    const lineEnd = newline === -1 ? source.length : newline + 1
    const leading = source.slice(lineStart, at)
    const alone = /^[ \t]*$/.test(leading) && /^[ \t\r]*$/.test(source.slice(end, newline === -1 ? source.length : newline))
    const isValue = !/^[#/!]/.test(body) && body !== 'else'
    // A block tag or comment alone on its line takes the whole line with it.
    const standalone = !isValue && alone
    pushText(standalone ? lineStart : at)
    textFrom = standalone ? lineEnd : end

    if (body.startsWith('!')) continue
    if (isValue) {
      const [expr, filter, ...rest] = body.split('|').map((part) => part.trim())
      if (rest.length > 0 || (filter !== undefined && filter !== 'json'))
        throw templateError(`unknown filter in {{ ${body} }}`, source, at, key, 'The only filter is "json", e.g. {{ name | json }}.')
      target().push({
        kind: 'value',
        path: parsePath(expr!, source, at, key),
        source: expr!,
        json: filter === 'json',
        indent: /^[ \t]*$/.test(leading) ? leading : '',
        at,
      })
      continue
    }
    const [tag, arg, ...extra] = body.split(/\s+/)
    if (tag === '#if' || tag === '#unless' || tag === '#each') {
      if (arg === undefined || extra.length > 0) throw templateError(`{{${tag}}} takes exactly one value`, source, at, key, `Write it as {{${tag} name}}.`)
      const path = parsePath(arg, source, at, key)
      const node: Extract<Node, { kind: 'if' | 'each' }> =
        tag === '#each' ? { kind: 'each', path, source: arg, body: [], at } : { kind: 'if', path, negate: tag === '#unless', then: [], else: [] }
      target().push(node)
      stack.push({ node, name: tag.slice(1), at, target: node.kind === 'each' ? node.body : node.then })
    } else if (tag === 'else') {
      const open = stack[stack.length - 1]
      if (open?.node.kind !== 'if' || open.target === open.node.else)
        throw templateError('{{else}} outside {{#if}} or {{#unless}}', source, at, key, 'Move it inside an if block, once.')
      open.target = open.node.else
    } else if (tag === '/if' || tag === '/unless' || tag === '/each') {
      const open = stack.pop()
      if (open?.name !== tag.slice(1))
        throw templateError(
          `{{${tag}}} does not close ${open ? `{{#${open.name}}}` : 'any block'}`,
          source,
          at,
          key,
          'Check that every block is closed in order.',
        )
    } else {
      throw templateError(`unknown tag {{${body}}}`, source, at, key, 'Use {{#each}}, {{#if}}, {{#unless}}, {{else}} or a value.')
    }
  }
  const open = stack.pop()
  if (open) throw templateError(`{{#${open.name}}} is never closed`, source, open.at, key, `Add {{/${open.name}}}.`)
  pushText(source.length)
  return root
}

interface Scope {
  value: unknown
  index?: number
  count?: number
}

// Plain loops, no per-lookup allocation: a batch of a thousand files makes ~10⁵ lookups.
function lookup(path: Path, scopes: Scope[]): unknown {
  if (path.kind === 'this') return scopes[scopes.length - 1]!.value
  if (path.kind === 'meta') {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const { index, count } = scopes[i]!
      if (index !== undefined) return path.name === '@index' ? index : path.name === '@first' ? index === 0 : index === count! - 1
    }
    return undefined
  }
  // The first key is looked up from the innermost scope outwards, so an item's fields shadow the data's.
  const keys = path.keys
  let value: unknown
  for (let i = scopes.length - 1; i >= 0; i--) {
    const candidate = scopes[i]!.value
    if (typeof candidate === 'object' && candidate !== null && keys[0]! in candidate) {
      value = (candidate as Record<string, unknown>)[keys[0]!]
      break
    }
  }
  for (let k = 1; k < keys.length; k++) {
    if (value === null || value === undefined) return undefined
    value = (value as Record<string, unknown>)[keys[k]!]
  }
  return value
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value)
}

function evaluate(nodes: Node[], scopes: Scope[], source: string, key: string): string {
  let out = ''
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text
    else if (node.kind === 'if') out += evaluate(truthy(lookup(node.path, scopes)) !== node.negate ? node.then : node.else, scopes, source, key)
    else if (node.kind === 'each') {
      const items = lookup(node.path, scopes)
      if (!Array.isArray(items))
        throw templateError(
          `{{#each ${node.source}}} needs an array, got ${items === null ? 'null' : typeof items}`,
          source,
          node.at,
          key,
          'Pass an array in data.',
        )
      for (let index = 0; index < items.length; index++) {
        // One scope stack per render call: pushed and popped, not copied per item.
        scopes.push({ value: items[index], index, count: items.length })
        out += evaluate(node.body, scopes, source, key)
        scopes.pop()
      }
    } else {
      const value = lookup(node.path, scopes)
      let text: string
      if (node.json) {
        if (value === undefined) throw templateError(`missing value "${node.source}"`, source, node.at, key, 'Pass it in data, or guard it with {{#if}}.')
        text = JSON.stringify(value)
      } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
        text = String(value)
      } else if (value === null || value === undefined) {
        throw templateError(`missing value "${node.source}"`, source, node.at, key, 'Pass it in data, or guard it with {{#if}}.')
      } else {
        throw templateError(
          `"${node.source}" is ${Array.isArray(value) ? 'an array' : 'an object'}`,
          source,
          node.at,
          key,
          'Loop over it with {{#each}}, or print it with {{ value | json }}.',
        )
      }
      out += node.indent && text.includes('\n') ? indent(text, node.indent, { first: false }) : text
    }
  }
  return out
}
