/**
 * The documentation: README.md stays an entry page (at most 300 lines, the two commands), and every
 * relative link in README.md and docs/*.md points at a file or directory of the repository and, for
 * a Markdown target with `#anchor`, at a heading (GitHub's slugs) or an `id` in it.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const repo = path.resolve(import.meta.dirname, '..')
const docsDir = path.join(repo, 'docs')
const pages = ['README.md', ...fs.readdirSync(docsDir).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)]

/** The text outside fenced code blocks, inline code spans and HTML comments, line numbers kept. */
function prose(markdown: string): string[] {
  let fenced = false
  return markdown
    .replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced
        return ''
      }
      return fenced ? '' : line.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length))
    })
}

interface Link {
  line: number
  target: string
}

/** `[text](target)` links; `text` may itself hold brackets (`[`x`](y)` has lost its code span). */
function links(markdown: string): Link[] {
  const out: Link[] = []
  prose(markdown).forEach((text, index) => {
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line: index + 1, target: match[1]! })
  })
  return out
}

/** GitHub's anchors for a Markdown file: heading slugs (with -1, -2 … for repeats) and explicit ids. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>()
  const seen = new Map<string, number>()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
    if (fenced) continue
    for (const match of line.matchAll(/\bid="([^"]+)"/g)) out.add(match[1]!)
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!heading) continue
    const text = heading[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    out.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return out
}

/** Why a link from `page` is dead, or undefined when it resolves. */
function deadLink(page: string, target: string): string | undefined {
  const [file = '', anchor] = target.split('#') as [string, string | undefined]
  const resolved = file === '' ? path.join(repo, page) : path.resolve(path.dirname(path.join(repo, page)), decodeURIComponent(file))
  if (!resolved.startsWith(repo + path.sep) && resolved !== repo) return 'leaves the repository'
  if (!fs.existsSync(resolved)) return `no such file: ${path.relative(repo, resolved)}`
  if (anchor && resolved.endsWith('.md') && !anchors(fs.readFileSync(resolved, 'utf8')).has(anchor)) return `no heading or id "${anchor}" in ${path.relative(repo, resolved)}`
  return undefined
}

const isRelative = (target: string): boolean => !/^[a-z][a-z0-9+.-]*:/i.test(target)

describe('README.md', () => {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8')

  it('is an entry page of at most 300 lines', () => {
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(300)
  })

  it('gives the two commands: npm install && npm start, and npm test', () => {
    expect(readme).toMatch(/^npm install && npm start\b/m)
    expect(readme).toMatch(/^npm test\b/m)
  })

  it('links every page of docs/', () => {
    const linked = new Set(links(readme).map((link) => link.target.split('#')[0]))
    expect(pages.filter((page) => page !== 'README.md' && !linked.has(page))).toEqual([])
  })
})

describe('relative links in README.md and docs/*.md', () => {
  it('finds the links it checks', () => {
    // The extractor itself: a link in a code span or a fence is not a link, one in prose is.
    expect(links('see [`a.md`](a.md#x) and `[b](b.md)`\n```\n[c](c.md)\n```\n[d](d.md "title")').map((link) => link.target)).toEqual(['a.md#x', 'd.md'])
    expect(anchors('# A `b` (c)\n## A b c\n<a id="z"></a>')).toEqual(new Set(['a-b-c', 'a-b-c-1', 'z']))
  })

  it.each(pages)('%s: every relative link resolves', (page) => {
    const found = links(fs.readFileSync(path.join(repo, page), 'utf8')).filter((link) => isRelative(link.target))
    const dead = found.flatMap((link) => {
      const why = deadLink(page, link.target)
      return why ? [`${page}:${link.line} (${link.target}): ${why}`] : []
    })
    expect(dead).toEqual([])
  })
})
