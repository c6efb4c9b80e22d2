// Vite replaces `import.meta.env` in the main-process build (electron.vite.config.ts); run from source
// with tsx it is absent, hence optional.
interface ImportMeta {
  readonly env?: { readonly DEV?: boolean };
}
