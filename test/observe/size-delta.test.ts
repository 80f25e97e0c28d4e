/** Deltas between two outputs: per file (hashed renames matched) and per kind. */
import { describe, expect, it } from 'vitest'
import { CDN_LEVELS } from '../../src/observe/size/compress.js'
import { compare, SIZES_FORMAT, totals, type SizeSnapshot, type Sizes } from '../../src/observe/size/delta.js'

const snap = (id: string, files: Record<string, Sizes>, levels = CDN_LEVELS): SizeSnapshot => ({ format: SIZES_FORMAT, id, committedAt: `2026-01-0${id.length}T00:00:00.000Z`, git: null, levels, files })
const s = (raw: number, gzip: number, brotli = gzip - 1): Sizes => ({ raw, gzip, brotli })

describe('totals', () => {
  it('adds files per kind and overall', () => {
    const t = totals({ 'a.js': s(100, 40), 'b.js': s(50, 20), 'c.css': s(10, 5), 'logo.png': s(7, 7, 7) }, CDN_LEVELS)
    expect(t.js).toEqual({ files: 2, raw: 150, gzip: 60, brotli: 58 })
    expect(t.css).toEqual({ files: 1, raw: 10, gzip: 5, brotli: 4 })
    expect(t.images).toEqual({ files: 1, raw: 7, gzip: 7, brotli: 7 })
    expect(t.html.files).toBe(0)
    expect(t.all).toEqual({ files: 4, raw: 167, gzip: 72, brotli: 69 })
  })

  it('an encoding that is off totals to null', () => {
    expect(totals({ 'a.js': { raw: 3, gzip: null, brotli: 2 } }, { gzip: false, brotli: 4 }).all).toEqual({ files: 1, raw: 3, gzip: null, brotli: 2 })
  })
})

describe('compare', () => {
  const before = snap('v1-00000001', {
    'index.html': s(500, 300),
    'assets/index-BXqL3yKm.js': s(1000, 400),
    'assets/vendor-Ab12Cd34.js': s(5000, 2000),
    'assets/old-Qq11Ww22.css': s(100, 60),
    'robots.txt': s(20, 30),
    'assets/chunk-AAAA1111.js': s(10, 10),
    'assets/chunk-BBBB2222.js': s(20, 20),
  })
  const after = snap('v2-00000002', {
    'index.html': s(520, 310),
    'assets/index-Zz9_8yXw.js': s(1200, 450),
    'assets/vendor-Ab12Cd34.js': s(5000, 2000),
    'assets/new-Ee55Rr66.css': s(80, 50),
    'robots.txt': s(20, 30),
    'assets/chunk-CCCC3333.js': s(10, 10),
    'assets/chunk-DDDD4444.js': s(30, 25),
  })
  const c = compare(after, before)

  it('an output compared with itself (the no-change shortcut) gives what comparing with an equal copy gives', () => {
    for (const levels of [CDN_LEVELS, { gzip: false as const, brotli: 4 }]) {
      const same = snap('v1-00000001', { 'a.js': s(100, 40), 'x.css': s(10, 5), 'logo.png': s(7, 7, 7) }, levels)
      const copy = structuredClone(same)
      expect(compare(same, same)).toEqual(compare(same, copy))
      expect(compare(same, same).totals.all).toEqual({ raw: 0, gzip: levels.gzip === false ? null : 0, brotli: 0 })
    }
  })

  it('matches a hashed file renamed by its new hash: one grown file, not a removal and an addition', () => {
    expect(c.changes.find((x) => x.path === 'assets/index-Zz9_8yXw.js')).toEqual({ path: 'assets/index-Zz9_8yXw.js', from: 'assets/index-BXqL3yKm.js', status: 'grown', kind: 'js', size: s(1200, 450), delta: { raw: 200, gzip: 50, brotli: 50 } })
    expect(c.changes.some((x) => x.path === 'assets/index-BXqL3yKm.js')).toBe(false)
  })

  it('unchanged files are not changes; different stable names are removed + added', () => {
    expect(c.changes.map((x) => x.path)).not.toContain('assets/vendor-Ab12Cd34.js')
    expect(c.changes.map((x) => x.path)).not.toContain('robots.txt')
    expect(c.changes.find((x) => x.path === 'assets/old-Qq11Ww22.css')).toMatchObject({ status: 'removed', size: s(100, 60), delta: { raw: -100, gzip: -60 } })
    expect(c.changes.find((x) => x.path === 'assets/new-Ee55Rr66.css')).toMatchObject({ status: 'added', delta: { raw: 80, gzip: 50 } })
  })

  it('several files with one stable name are not guessed at: added and removed', () => {
    const chunks = c.changes.filter((x) => x.path.startsWith('assets/chunk-'))
    expect(chunks.map((x) => `${x.status} ${x.path}`).sort()).toEqual(['added assets/chunk-CCCC3333.js', 'added assets/chunk-DDDD4444.js', 'removed assets/chunk-AAAA1111.js', 'removed assets/chunk-BBBB2222.js'])
  })

  it('a renamed file of the same size is "renamed"; counts and order by the size of the change', () => {
    const renamed = compare(snap('b', { 'a-Xy12Zz90.js': s(10, 5) }), snap('a', { 'a-Qw34Er56.js': s(10, 5) }))
    expect(renamed.changes).toEqual([{ path: 'a-Xy12Zz90.js', from: 'a-Qw34Er56.js', status: 'renamed', kind: 'js', size: s(10, 5), delta: { raw: 0, gzip: 0, brotli: 0 } }])
    expect(c.counts).toEqual({ added: 3, removed: 3, grown: 2, shrunk: 0, renamed: 0, changed: 0 })
    const magnitudes = c.changes.map((x) => Math.abs(x.delta.gzip!))
    expect(magnitudes).toEqual([...magnitudes].sort((a, b) => b - a))
  })

  it('a file of the same raw size whose compressed sizes differ is "changed"', () => {
    const changed = compare(snap('b', { 'a.js': s(10, 6), 'b.js': s(10, 5) }), snap('a', { 'a.js': s(10, 5), 'b.js': s(10, 5) }))
    expect(changed.changes).toEqual([{ path: 'a.js', status: 'changed', kind: 'js', size: s(10, 6), delta: { raw: 0, gzip: 1, brotli: 1 } }])
  })

  it('with content hashes, other bytes at the same sizes are "changed" and equal bytes are not', () => {
    const h = (hash: string, gzip: number) => ({ ...s(10, gzip), hash })
    const changed = compare(snap('b', { 'a.js': h('1111', 5), 'b.js': h('2222', 5), 'c.js': h('3333', 6) }), snap('a', { 'a.js': h('aaaa', 5), 'b.js': h('2222', 5), 'c.js': h('3333', 5) }))
    // c.js: same hash, so its compressed sizes came from other levels or a re-measure; not a change of the bytes.
    expect(changed.changes.map((x) => `${x.status} ${x.path}`)).toEqual(['changed a.js'])
  })

  it('totals per kind are the difference of the totals', () => {
    expect(c.totals.all).toEqual({ raw: 210, gzip: 55, brotli: 55 })
    expect(c.totals.css).toEqual({ raw: -20, gzip: -10, brotli: -10 })
    expect(c.totals.html).toEqual({ raw: 20, gzip: 10, brotli: 10 })
    expect(c.against).toEqual({ id: 'v1-00000001', committedAt: before.committedAt, git: null })
  })

  it('outputs measured at other levels compare raw only', () => {
    const other = compare(snap('b', { 'a.js': s(12, 6) }), snap('a', { 'a.js': s(10, 5) }, { gzip: 9, brotli: 11 }))
    expect(other.totals.all).toEqual({ raw: 2, gzip: null, brotli: null })
    expect(other.changes[0]).toMatchObject({ status: 'grown', delta: { raw: 2, gzip: null, brotli: null } })
  })
})
