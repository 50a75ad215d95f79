// Vite's ?raw imports: a file's text (test/workers/doors.test.ts reads wrangler.toml so).
declare module "*?raw" {
  const text: string;
  export default text;
}
