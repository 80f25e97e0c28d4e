import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { compileTemplate, createWriter, dedent, EmitOptimizerError, indent, join, render } from '../../src/index.js'

describe('tagged-template helpers', () => {
  it('dedent removes the common margin and indents multi-line interpolations like their line', () => {
    const fields = ['id: string', 'name?: string']
    const out = dedent`
      export interface Route {
        ${fields}
        meta: ${'{ auth: boolean }'}
      }
    `
    expect(out).toBe('export interface Route {\n  id: string\n  name?: string\n  meta: { auth: boolean }\n}')
    // Raw text: backslashes stay as written, \` and \${ give a backtick and a dollar.
    expect(dedent`
      const re = /\d+\.ts$/
      const s = \`x\${1}\`
    `).toBe('const re = /\\d+\\.ts$/\nconst s = `x${1}`')
    expect(dedent('\n    a\n      b\n    c\n  ')).toBe('a\n  b\nc')
  })

  it('indent and join build conditional blocks', () => {
    expect(indent('a\n\nb')).toBe('  a\n\n  b')
    expect(indent('a\nb', '\t', { first: false })).toBe('a\n\tb')
    const auth = false
    expect(join(['import a from "a"', auth && 'import auth from "auth"', null, undefined, 'import b from "b"'])).toBe('import a from "a"\nimport b from "b"')
    expect(join([1, 2n, true], ', ')).toBe('1, 2, true')
  })
})

describe('render', () => {
  const routes = {
    name: 'routes',
    routes: [
      { path: '/', file: 'index.vue', auth: false },
      { path: '/admin', file: 'admin.vue', auth: true },
    ],
  }

  it('renders values, loops and conditions; block-tag lines vanish, multi-line values keep their indentation', () => {
    const template = [
      '// {{ name }}: generated, do not edit',
      'export const routes = [',
      '  {{#each routes}}',
      '  { path: {{ path | json }}, component: () => import({{ file | json }}){{#if auth}}, meta: { auth: true }{{/if}} }{{#unless @last}},{{/unless}}',
      '  {{/each}}',
      ']',
      '{{! a comment line disappears too }}',
      'export function setup() {',
      '  {{ body }}',
      '}',
      '',
    ].join('\n')
    const out = render(template, { ...routes, body: 'init()\nstart()' })
    expect(out).toBe(
      [
        '// routes: generated, do not edit',
        'export const routes = [',
        '  { path: "/", component: () => import("index.vue") },',
        '  { path: "/admin", component: () => import("admin.vue"), meta: { auth: true } }',
        ']',
        'export function setup() {',
        '  init()',
        '  start()',
        '}',
        '',
      ].join('\n'),
    )
    expect(render('{{#each items}}{{ @index }}={{ . }}{{#if @first}}!{{/if}} {{/each}}', { items: ['a', 'b'] })).toBe('0=a! 1=b ')
    expect(render('{{#each items}}{{ name }}/{{ title }} {{/each}}', { title: 'outer', items: [{ name: 'x' }, { name: 'y', title: 'own' }] })).toBe('x/outer y/own ')
    expect(render('{{#if list}}has{{else}}empty{{/if}} \\{{ literal }}', { list: [] })).toBe('empty {{ literal }}')
  })

  it('fails with EO_TEMPLATE, naming the line and column, for syntax errors and missing values', () => {
    const cases: Array<[string, unknown, string]> = [
      ['a\n  {{#each items}}x', { items: [] }, '{{#each}} is never closed at 2:3'],
      ['{{#if a}}{{/each}}', {}, '{{/each}} does not close {{#if}} at 1:10'],
      ['{{else}}', {}, '{{else}} outside'],
      ['x {{ nme }}', { name: 'a' }, 'missing value "nme" at 1:3'],
      ['{{ list }}', { list: [1] }, '"list" is an array'],
      ['{{ a | upper }}', { a: 'x' }, 'unknown filter'],
      ['{{#each a}}{{/each}}', { a: 'x' }, 'needs an array'],
      ['{{ a b }}', { a: 1 }, 'invalid value name'],
    ]
    for (const [template, data, message] of cases) {
      let error: unknown
      try {
        render(template, data)
      } catch (caught) {
        error = caught
      }
      expect(error, template).toBeInstanceOf(EmitOptimizerError)
      expect((error as EmitOptimizerError).code).toBe('EO_TEMPLATE')
      expect((error as EmitOptimizerError).message).toContain(message)
    }
  })

  it('compiles each distinct source once (cached by hash)', () => {
    const source = `{{ n }} ${Math.PI}`
    const compiled = compileTemplate(source)
    expect(compileTemplate(`${source}`)).toBe(compiled)
    expect(compileTemplate(`${source} `)).not.toBe(compiled)
    expect(compiled({ n: 1 })).toBe(`1 ${Math.PI}`)
  })
})

describe('renderMany', () => {
  let root: string
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-writer-tpl-'))
  })
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true })
  })

  it('writes a batch and reports how many changed; a template error writes nothing', async () => {
    const writer = createWriter({ root, check: false })
    const template = 'export const {{ name }} = {{ value | json }}\n'
    const items = Array.from({ length: 20 }, (_, i) => ({ name: `c${i}`, value: i }))
    const first = await writer.renderMany(template, items, (item) => `consts/${item.name}.ts`)
    expect(first).toMatchObject({ total: 20, changed: 20, created: 20, unchanged: 0 })
    items[3]!.value = 300
    items[17]!.value = 1700
    const second = await writer.renderMany(template, items, (item) => `consts/${item.name}.ts`)
    expect(second).toMatchObject({ total: 20, changed: 2, updated: 2, unchanged: 18 })
    expect(second.files.filter((f) => f.status === 'updated').map((f) => f.path)).toEqual(['consts/c3.ts', 'consts/c17.ts'])
    const before = fs.readdirSync(path.join(root, 'consts')).length
    await expect(writer.renderMany('{{ missing }}', [{ id: 1 }, { id: 2 }], (item) => `broken/${item.id}.ts`)).rejects.toThrow('missing value')
    expect(fs.existsSync(path.join(root, 'broken'))).toBe(false)
    expect(fs.readdirSync(path.join(root, 'consts'))).toHaveLength(before)
  })
})
