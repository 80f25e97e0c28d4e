/** Kinds, compressibility and the stable names that match a hashed file across builds. */
import { describe, expect, it } from 'vitest'
import { isCompressible, kindOf } from '../../src/observe/size/kinds.js'
import { stableName } from '../../src/observe/size/stable-name.js'

describe('stableName', () => {
  it.each([
    // Vite / Rolldown: 8 base64url characters after '-', which may hold '-' and '_'
    ['assets/index-BXqL3yKm.js', 'assets/index-[hash].js'],
    ['assets/index-C_x-3aZq.js', 'assets/index-[hash].js'],
    ['assets/index-C_x-3aZq.js.map', 'assets/index-[hash].js.map'],
    ['assets/my-component-Abc12345.css', 'assets/my-component-[hash].css'],
    // esbuild: upper-case base32
    ['chunk-4MQJ3NTR.js', 'chunk-[hash].js'],
    // webpack / Rspack: hex after '.', also before a second extension part
    ['main.3b2f1a9c0d1e2f3a4b5c.js', 'main.[hash].js'],
    ['static/js/123.abcdef12.chunk.js', 'static/js/123.[hash].chunk.js'],
    ['a1b2c3d4e5f6a7b8.svg', '[hash].svg'],
  ])('%s → %s', (file, stable) => {
    expect(stableName(file)).toBe(stable)
  })

  it.each(['index.html', 'assets/my-component.js', 'robots.txt', 'scripts/deploy.sh', 'assets/chunk-abcdefgh.js', 'LICENSE', 'a-1234567.js'])('%s has no hash and keeps its name', (file) => {
    expect(stableName(file)).toBe(file)
  })

  it('two builds of the same hashed file agree; different files do not', () => {
    expect(stableName('assets/index-BXqL3yKm.js')).toBe(stableName('assets/index-Zz9_8yXw.js'))
    expect(stableName('assets/index-BXqL3yKm.js')).not.toBe(stableName('assets/vendor-BXqL3yKm.js'))
    expect(stableName('assets/index-BXqL3yKm.js')).not.toBe(stableName('assets/index-BXqL3yKm.css'))
  })
})

describe('kindOf / isCompressible', () => {
  it.each([
    ['assets/a.js', 'js'], ['a.mjs', 'js'], ['x/style.CSS', 'css'], ['index.html', 'html'], ['logo.svg', 'images'], ['a.png', 'images'],
    ['f.woff2', 'fonts'], ['a.js.map', 'other'], ['robots.txt', 'other'], ['Makefile', 'other'], ['.env', 'other'],
  ])('%s is %s', (file, kind) => {
    expect(kindOf(file)).toBe(kind)
  })

  it('text and svg are compressed; png, woff2 and archives are served as they are', () => {
    for (const file of ['a.js', 'a.css', 'a.html', 'logo.svg', 'a.json', 'a.wasm', 'a.js.map']) expect(isCompressible(file), file).toBe(true)
    for (const file of ['a.png', 'a.JPG', 'f.woff2', 'f.woff', 'a.gz', 'a.br', 'a.webp']) expect(isCompressible(file), file).toBe(false)
  })
})
