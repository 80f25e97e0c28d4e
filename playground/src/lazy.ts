export const lazy = (): string => ` · lazy chunk loaded at ${new Date().toLocaleTimeString()}`
