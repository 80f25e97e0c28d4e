// Lint for correctness (typescript-eslint's recommended rules), not formatting; plus one line-length
// limit on the library code. `npm run lint`, run in CI.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'examples/', 'test/fixtures/', 'test-results/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  // `const { a: _a, ...rest } = x` drops a field on purpose.
  { rules: { '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }] } },
  {
    files: ['src/**/*.ts', 'plugins/**/*.ts'],
    // Strings and templates count too: long messages and HTML are built from pieces. Core `max-len`
    // is deprecated but kept until ESLint 11; then it is `@stylistic/max-len` with the same options.
    rules: { 'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }] },
  },
)
