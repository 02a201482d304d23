// Parse every formula given on stdin with KaTeX and print the ones it rejects.
// stdin: JSON [{id, tex, display}]; stdout: JSON [{id, error}]. Argument 1: path of a KaTeX build
// (the vendored katex.min.js, or node_modules/katex/dist/katex.js): a UMD file, loaded with require().
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const katex = require(process.argv[2]);
const formulas = JSON.parse(readFileSync(0, "utf8"));
const rejected = [];
for (const { id, tex, display } of formulas) {
  try {
    katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "ignore" });
  } catch (error) {
    rejected.push({ id, error: String(error.message || error).replace(/^KaTeX parse error: /, "") });
  }
}
process.stdout.write(JSON.stringify(rejected));
