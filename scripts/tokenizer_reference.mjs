// Writes the reference token ids of the tokenizer parity test: every line of
// tests/fixtures/tokenizer/corpus.jsonl (one JSON string a line) encoded by @lenml/tokenizers (a
// port of transformers.js) with each real tokenizer.json, as HF's
// tokenizer.encode(text, add_special_tokens=False) does: special tokens written in the text still
// match, nothing is added around it. Output: tests/fixtures/tokenizer/<name>.ids.jsonl.
//
// Usage: bash scripts/fetch_tokenizers.sh && node scripts/tokenizer_reference.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cache =
  process.env.MOEBENCH_TOKENIZER_CACHE ??
  path.join(process.env.MOEBENCH_CACHE ?? path.join(root, ".cache"), "tokenizers");
const fixtures = path.join(root, "tests", "fixtures", "tokenizer");
const names = ["deepseek_v3", "qwen3", "llama2"];

const libPath = path.join(cache, "lenml-tokenizers", "dist", "main.mjs");
if (!fs.existsSync(libPath)) {
  console.error(`${libPath} missing ---> HINT: run scripts/fetch_tokenizers.sh first`);
  process.exit(2);
}
const { TokenizerLoader } = await import(pathToFileURL(libPath).href);

const corpus = fs
  .readFileSync(path.join(fixtures, "corpus.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line.length > 0)
  .map((line, i) => {
    const s = JSON.parse(line);
    if (typeof s !== "string") throw new Error(`corpus.jsonl:${i + 1}: not a JSON string`);
    return s;
  });

for (const name of names) {
  const dir = path.join(cache, name, "models");
  const readJson = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
  const tok = TokenizerLoader.fromPreTrained({
    tokenizerJSON: readJson("tokenizer.json"),
    tokenizerConfig: readJson("tokenizer_config.json"),
  });
  let tokens = 0;
  const out = corpus.map((text) => {
    const ids = tok.encode(text, { add_special_tokens: false });
    tokens += ids.length;
    return JSON.stringify(ids);
  });
  const file = path.join(fixtures, `${name}.ids.jsonl`);
  fs.writeFileSync(file, out.join("\n") + "\n");
  console.log(`${file}: ${corpus.length} lines, ${tokens} tokens`);
}
