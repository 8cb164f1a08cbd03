// The page and its style are bundled as text (esbuild `--loader:.html=text`, wrangler `rules`).
declare module '*.html' {
  const text: string;
  export default text;
}
declare module '*.css' {
  const text: string;
  export default text;
}
