/**
 * node:crypto, loaded on first use. It is not in Node's startup snapshot: importing it costs about
 * as much as all our plugin code an entry loads (measured, issue 12), and a process that imports
 * the plugin but builds nothing (a dev server, a test run reading the config) never needs it.
 */
export const nodeCrypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto')
