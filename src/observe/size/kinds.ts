/** The kinds output sizes are totalled by; a fixed set, so they are also bounded metric labels. */
export const SIZE_KINDS = ['js', 'css', 'html', 'images', 'fonts', 'other'] as const
export type SizeKind = (typeof SIZE_KINDS)[number]

const KIND_BY_EXTENSION: Record<string, SizeKind> = {
  js: 'js',
  mjs: 'js',
  cjs: 'js',
  css: 'css',
  html: 'html',
  htm: 'html',
  png: 'images',
  jpg: 'images',
  jpeg: 'images',
  gif: 'images',
  webp: 'images',
  avif: 'images',
  svg: 'images',
  ico: 'images',
  bmp: 'images',
  apng: 'images',
  woff: 'fonts',
  woff2: 'fonts',
  ttf: 'fonts',
  otf: 'fonts',
  eot: 'fonts',
}

/**
 * Formats that are compressed already: a CDN serves them as they are, so their gzip and brotli
 * sizes are their raw size (and compressing them would only cost build time).
 */
const PRECOMPRESSED = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'webp',
  'avif',
  'ico',
  'apng',
  'woff',
  'woff2',
  'gz',
  'br',
  'zst',
  'zip',
  'mp3',
  'mp4',
  'webm',
  'ogg',
  'mov',
  'pdf',
])

function extension(file: string): string {
  const name = file.slice(file.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase()
}

/** `assets/index-AbC.js` → `js`; source maps and everything unlisted are `other`. */
export function kindOf(file: string): SizeKind {
  return KIND_BY_EXTENSION[extension(file)] ?? 'other'
}

/** Whether a CDN would compress this file when serving it. */
export function isCompressible(file: string): boolean {
  return !PRECOMPRESSED.has(extension(file))
}
