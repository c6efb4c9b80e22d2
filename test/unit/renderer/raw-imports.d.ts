/** Vite's `?raw` import, which vitest serves too: the renderer tests read fixture files without Node's fs (this tsconfig is the browser's). */
declare module '*?raw' {
  const text: string;
  export default text;
}
