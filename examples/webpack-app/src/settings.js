export const settings = { theme: 'dark', version: 1 }
