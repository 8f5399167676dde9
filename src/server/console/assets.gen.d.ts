// The operator console page as scripts/console/build.mjs bundles it (assets.gen.js, not in git).
export const etag: string;
export const html: string;
export const js: string;
export const css: string;
