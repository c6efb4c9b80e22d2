/** Vite's explicit URL import, never inlined as a data: URL (the CSP would refuse one as a worker). */
declare module '*?url&no-inline' {
  const url: string;
  export default url;
}
