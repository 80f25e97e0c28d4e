import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EmitOptimizerError } from '../../src/errors.js'
import { nodeFs, type EngineFs } from '../../src/core/fs.js'
import { assertConfined, assertSafeOutDir, normalizeOutputPath } from '../../src/core/guard.js'

const OUT = '/srv/app/dist'
const PROPERTY = { numRuns: 500, seed: 42 }
const symlinks = it.skipIf(process.platform === 'win32')

function thrown(fn: () => unknown): EmitOptimizerError {
  try {
    fn()
  } catch (error) {
    if (error instanceof EmitOptimizerError) return error
    throw error
  }
  throw new Error('expected an EmitOptimizerError, nothing was thrown')
}

async function rejection(promise: Promise<unknown>): Promise<EmitOptimizerError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof EmitOptimizerError) return error
    throw error
  }
  throw new Error('expected an EmitOptimizerError, the promise resolved')
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel !== '' && rel.split(path.sep)[0] !== '..' && !path.isAbsolute(rel)
}

describe('normalizeOutputPath', () => {
  it.each([
    ['a/b.js', 'a/b.js'],
    ['./a/b.js', 'a/b.js'],
    ['a//b.js', 'a/b.js'],
    ['a/./b.js', 'a/b.js'],
    ['././x', 'x'],
    ['.hidden/..js', '.hidden/..js'],
    ['a\u2024b.js', 'a\u2024b.js'],
    ['caf\u00e9/\u65e5\u672c.js', 'caf\u00e9/\u65e5\u672c.js'],
  ])('accepts %j as %j', (input, expected) => {
    expect(normalizeOutputPath(input, OUT)).toBe(expected)
  })

  it('keeps the original Unicode instead of the NFKC form', () => {
    expect(normalizeOutputPath('\ufb01le.js', OUT)).toBe('\ufb01le.js')
  })

  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['//x', 'protocol-relative / UNC'],
    ['C:\\x', 'drive with backslash'],
    ['C:/x', 'drive with slash'],
    ['c:x', 'drive-relative'],
    ['\\\\server\\share\\x', 'UNC'],
    ['..\\x', 'backslash traversal'],
    ['a\\b.js', 'backslash inside'],
    ['..', 'parent'],
    ['../x', 'leading parent'],
    ['a/../b', 'parent that would stay inside'],
    ['a/..', 'trailing parent'],
    ['a\u0000b', 'NUL'],
    ['a\nb', 'newline'],
    ['a\u001bb', 'ESC'],
    ['a/', 'trailing slash'],
    ['.', 'only a dot'],
    ['./', 'dot and slash'],
    ['\uff0e\uff0e/x', 'fullwidth full stops'],
    ['a/\u2024\u2024/x', 'one dot leaders'],
    ['\u2025/x', 'two dot leader'],
    ['\ufe52\ufe52/x', 'small full stops'],
    ['\u2024/x', 'one dot leader alone'],
    ['a\u2215b', 'division slash'],
    ['a\uff0fb', 'fullwidth solidus'],
    ['a\uff3cb', 'fullwidth reverse solidus'],
    ['1\u20442.js', 'fraction slash'],
    ['a\u29f5b', 'reverse solidus operator'],
  ])('rejects %j (%s) with EO_PATH_ESCAPE', (input) => {
    const error = thrown(() => normalizeOutputPath(input, OUT))
    expect(error.code).toBe('EO_PATH_ESCAPE')
    expect(error.path).toBe(input)
    expect(error.message).toContain(`path escapes outDir: ${JSON.stringify(input)} (outDir: ${OUT}). `)
  })

  it('shows control characters escaped in the message', () => {
    const error = thrown(() => normalizeOutputPath('x\u0000.js', OUT))
    expect(error.message).toContain('"x\\u0000.js"')
    expect(error.message).not.toContain('\u0000')
  })

  it.each([
    ['a'.repeat(255), true],
    ['a'.repeat(256), false],
    ['\u00e9'.repeat(127), true], // 254 bytes
    ['\u00e9'.repeat(128), false], // 256 bytes
    [Array.from({ length: 16 }, () => 'a'.repeat(255)).join('/'), true], // 4095 bytes
    [Array.from({ length: 17 }, () => 'a'.repeat(255)).join('/'), false],
  ])('limits segments to 255 and paths to 4096 UTF-8 bytes (%#)', (input, ok) => {
    if (ok) {
      expect(normalizeOutputPath(input, OUT)).toBe(input)
    } else {
      const error = thrown(() => normalizeOutputPath(input, OUT))
      expect(error.code).toBe('EO_NAME_TOO_LONG')
      expect(error.message).toMatch(/bytes \(UTF-8\), the limit is (255|4096)/)
    }
  })

  // Biased towards the characters that matter; plain arbitrary strings rarely hit them.
  const pathish = fc
    .array(fc.constantFrom('a', 'b.js', '.', '..', '/', '//', '\\', 'C:', '\u0000', '\n', '\uff0e', '\u2024', '\u2025', '\ufe52', '\u2215', '\uff0f', ' ', '\u00e9', '~'), {
      maxLength: 12,
    })
    .map((pieces) => pieces.join(''))
  const anyInput = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), pathish)

  it('never returns a path that leaves outDir (property)', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        let result: string
        try {
          result = normalizeOutputPath(input, OUT)
        } catch (error) {
          expect(error).toBeInstanceOf(EmitOptimizerError)
          expect(['EO_PATH_ESCAPE', 'EO_NAME_TOO_LONG']).toContain((error as EmitOptimizerError).code)
          return
        }
        expect(result.startsWith('/')).toBe(false)
        expect(result.split('/')).not.toContain('..')
        expect(result.split('/')).not.toContain('.')
        expect(result.split('/')).not.toContain('')
        expect(isInside(path.resolve(OUT, result), OUT)).toBe(true)
        expect(normalizeOutputPath(result, OUT)).toBe(result)
      }),
      PROPERTY,
    )
  })

  const segment = fc
    .string({ unit: fc.constantFrom(...Array.from('abcXYZ019_-.~+@ \u00e9\u65e5\u{1f642}')), minLength: 1, maxLength: 16 })
    .filter((s) => s !== '.' && s !== '..')
  const segments = fc.array(segment, { minLength: 1, maxLength: 8 })

  it('accepts and round-trips any join of safe segments (property)', () => {
    fc.assert(
      fc.property(segments, (parts) => {
        const joined = parts.join('/')
        expect(normalizeOutputPath(joined, OUT)).toBe(joined)
        expect(normalizeOutputPath(`./${joined}`, OUT)).toBe(joined)
        expect(normalizeOutputPath(parts.join('//'), OUT)).toBe(joined)
      }),
      PROPERTY,
    )
  })

  it('rejects a ".." segment (or a look-alike) inserted anywhere (property)', () => {
    const dots = fc.constantFrom('..', '\uff0e\uff0e', '\u2025', '\ufe52\ufe52', '\u2024\u2024')
    fc.assert(
      fc.property(segments, fc.nat(), dots, fc.boolean(), (parts, at, dotdot, leadingDot) => {
        const withParent = [...parts]
        withParent.splice(at % (parts.length + 1), 0, dotdot)
        const input = (leadingDot ? './' : '') + withParent.join('/')
        expect(thrown(() => normalizeOutputPath(input, OUT)).code).toBe('EO_PATH_ESCAPE')
      }),
      PROPERTY,
    )
  })
})

describe('with real directories', () => {
  let base: string
  let outDir: string
  let outside: string

  beforeEach(() => {
    // realpath: os.tmpdir() is itself a symlink on macOS (/var -> /private/var).
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-guard-')))
    outDir = path.join(base, 'proj', 'dist')
    outside = path.join(base, 'outside')
    fs.mkdirSync(outDir, { recursive: true })
    fs.mkdirSync(outside)
  })

  afterEach(() => {
    fs.rmSync(base, { recursive: true, force: true })
  })

  describe('assertConfined', () => {
    symlinks('refuses files under a directory symlink that points outside', async () => {
      fs.symlinkSync(outside, path.join(outDir, 'link'))
      const error = await rejection(assertConfined(outDir, ['ok.js', 'link/deep/a.js']))
      expect(error.code).toBe('EO_PATH_ESCAPE')
      expect(error.path).toBe('link/deep/a.js')
      expect(error.message).toContain('"link/deep/a.js"')
      expect(error.message).toContain(`"link" is a symlink to ${outside}`)
      expect(error.message).toContain(path.join(outDir, 'link'))
    })

    symlinks('refuses a relative symlink that climbs out, and one nested in a real directory', async () => {
      fs.symlinkSync('../../outside', path.join(outDir, 'up'))
      fs.mkdirSync(path.join(outDir, 'real'))
      fs.symlinkSync(outside, path.join(outDir, 'real', 'inner'))
      expect((await rejection(assertConfined(outDir, ['up/x.js']))).code).toBe('EO_PATH_ESCAPE')
      expect((await rejection(assertConfined(outDir, ['real/inner/x.js']))).path).toBe('real/inner/x.js')
    })

    symlinks('refuses a dangling symlink whose target (to be created by mkdir -p) is outside', async () => {
      fs.symlinkSync(path.join(outside, 'not-yet'), path.join(outDir, 'dangling'))
      expect((await rejection(assertConfined(outDir, ['dangling/x.js']))).code).toBe('EO_PATH_ESCAPE')
    })

    symlinks('accepts a symlink to another directory inside outDir', async () => {
      fs.mkdirSync(path.join(outDir, 'assets', 'img'), { recursive: true })
      fs.symlinkSync('assets', path.join(outDir, 'alias'))
      fs.symlinkSync(outDir, path.join(outDir, 'self'))
      await expect(assertConfined(outDir, ['alias/img/a.png', 'alias/new/b.png', 'self/c.js'])).resolves.toBeUndefined()
    })

    symlinks('does not follow the final component', async () => {
      fs.symlinkSync(outside, path.join(outDir, 'link'))
      fs.symlinkSync('/etc/passwd', path.join(outDir, 'file.js'))
      await expect(assertConfined(outDir, ['link', 'file.js'])).resolves.toBeUndefined()
    })

    it('accepts nested missing directories, even when outDir itself is missing', async () => {
      await expect(assertConfined(outDir, ['a/b/c/d.js', 'x.js'])).resolves.toBeUndefined()
      await expect(assertConfined(path.join(outDir, 'missing'), ['a/b/c/d.js'])).resolves.toBeUndefined()
    })

    symlinks('names the first offending file in input order', async () => {
      fs.symlinkSync(outside, path.join(outDir, 'l1'))
      fs.symlinkSync(outside, path.join(outDir, 'l2'))
      expect((await rejection(assertConfined(outDir, ['l2/b.js', 'l1/a.js']))).path).toBe('l2/b.js')
    })

    it('costs one lstat per distinct directory and skips the subtrees of missing ones', async () => {
      let lstats = 0
      const counting: EngineFs = {
        ...nodeFs,
        lstat: (p) => {
          lstats++
          return nodeFs.lstat(p)
        },
      }
      for (let d = 0; d < 10; d++) for (let s = 0; s < 5; s++) fs.mkdirSync(path.join(outDir, `d${d}`, `s${s}`), { recursive: true })
      const files = Array.from({ length: 2000 }, (_, i) => `d${i % 10}/s${Math.floor(i / 10) % 5}/f${i}.js`)
      await assertConfined(outDir, files, counting)
      expect(lstats).toBe(10 + 50)

      lstats = 0
      await assertConfined(outDir, Array.from({ length: 1000 }, (_, i) => `new${i % 3}/deep${i % 7}/er/f${i}.js`), counting)
      expect(lstats).toBe(3)
    })
  })

  describe('assertSafeOutDir', () => {
    const root = () => path.join(base, 'proj')
    const check = (dir: string, allowDangerous = false, efs?: EngineFs) => assertSafeOutDir(dir, { root: root(), allowDangerous, ...(efs ? { fs: efs } : {}) })

    async function expectRefused(dir: string, reason: RegExp): Promise<void> {
      const error = await rejection(check(dir))
      expect(error.code).toBe('EO_DANGEROUS_OUTDIR')
      expect(error.path).toBe(dir)
      expect(error.message).toContain(`dangerous outDir: ${JSON.stringify(dir)}`)
      expect(error.message).toMatch(reason)
      expect(error.message).toContain('allowDangerousOutDir: true')
      expect(error.message).toContain(JSON.stringify(path.join(root(), 'dist')))
    }

    it('refuses the filesystem root', () => expectRefused('/', /filesystem root/))
    it('refuses the home directory', () => expectRefused(os.homedir(), /home directory/))
    it('refuses the project root, also given relatively', async () => {
      await expectRefused(root(), /project root/)
      await expectRefused(path.relative(process.cwd(), root()), /project root/)
      await expectRefused(path.join(root(), 'dist', '..'), /project root/)
    })
    it('refuses an ancestor of the project root', () => expectRefused(base, /contains the project root/))

    it('refuses a repository root (.git directory or worktree file)', async () => {
      fs.mkdirSync(path.join(root(), 'pkg', '.git'), { recursive: true })
      fs.mkdirSync(path.join(root(), 'wt'))
      fs.writeFileSync(path.join(root(), 'wt', '.git'), 'gitdir: /elsewhere\n')
      await expectRefused(path.join(root(), 'pkg'), /repository root/)
      await expectRefused(path.join(root(), 'wt'), /repository root/)
    })

    it('accepts root/dist, existing or not', async () => {
      await expect(check(outDir)).resolves.toBeUndefined()
      await expect(check(path.join(root(), 'build', 'client'))).resolves.toBeUndefined()
    })

    symlinks('sees through symlinks', async () => {
      fs.symlinkSync('/', path.join(root(), 'link'))
      fs.symlinkSync(base, path.join(root(), 'up'))
      await expectRefused(path.join(root(), 'link'), /filesystem root/)
      await expectRefused(path.join(root(), 'up'), /contains the project root/)
    })

    it('skips every check with allowDangerous', async () => {
      await expect(check('/', true)).resolves.toBeUndefined()
      await expect(check(root(), true)).resolves.toBeUndefined()
    })

    it('uses the injected fs', async () => {
      const gitEverywhere: EngineFs = {
        ...nodeFs,
        lstat: (p) => (path.basename(p) === '.git' ? nodeFs.lstat(base) : nodeFs.lstat(p)),
      }
      await expect(check(outDir)).resolves.toBeUndefined()
      expect((await rejection(check(outDir, false, gitEverywhere))).code).toBe('EO_DANGEROUS_OUTDIR')
    })
  })
})
