// Checks a generated report site in headless Chromium (puppeteer-core): the leaderboard's DOM
// contract (rows, ranking, sorting, filter), that it fits a 1400 px window, distinct chart labels,
// self-containment, and that hostile responses render as text.
//
// node browser_check.mjs --site DIR --rows N --screenshot FILE.png --xss-run RUN_ID
//     [--sample-screenshot FILE.png] [--payloads FILE.json] [--chromium PATH]
//     [--node-modules DIR]
// puppeteer-core is loaded from --node-modules, else $MOEBENCH_BROWSER_MODULES, else
// ${MOEBENCH_CACHE:-<repo>/.cache}/browser/node_modules (scripts/fetch_browser.sh puts it there).
// Prints one line per check; exits 1 when any check fails, 2 on bad arguments.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

function parse_args(argv) {
  const a = {payloads: path.join(here, 'xss_payloads.json')};
  const names = [
    'site', 'rows', 'screenshot', 'xss-run', 'sample-screenshot', 'payloads', 'chromium',
    'node-modules'
  ];
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!names.includes(name) || i + 1 >= argv.length) usage(`bad argument '${argv[i]}'`);
    a[name] = argv[i + 1];
  }
  for (const need of ['site', 'rows', 'screenshot', 'xss-run']) {
    if (!a[need]) usage(`--${need} is required`);
  }
  a.rows = Number(a.rows);
  a['sample-screenshot'] ??= path.join(path.dirname(a.screenshot), 'xss_samples.png');
  return a;
}

function usage(msg) {
  console.error(
      `browser_check: ${msg}\nusage: node browser_check.mjs --site DIR --rows N ` +
      '--screenshot FILE.png --xss-run RUN_ID [--sample-screenshot FILE.png] ' +
      '[--payloads FILE.json] [--chromium PATH] [--node-modules DIR]');
  process.exit(2);
}

async function load_puppeteer(dir) {
  const modules = dir ?? process.env.MOEBENCH_BROWSER_MODULES ??
      path.join(process.env.MOEBENCH_CACHE ?? path.join(repo, '.cache'), 'browser', 'node_modules');
  // An ES module ignores NODE_PATH, so resolve the package from the fetch dir explicitly.
  const require = createRequire(path.join(modules, 'noop.js'));
  let entry;
  try {
    entry = require.resolve('puppeteer-core');
  } catch {
    console.error(
        `browser_check: puppeteer-core not found under ${modules} ` +
        '---> HINT: run scripts/fetch_browser.sh');
    process.exit(2);
  }
  return (await import(pathToFileURL(entry).href)).default;
}

function find_chromium(given) {
  if (given) return given;
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], {encoding: 'utf8'}).trim();
  } catch {
    console.error('browser_check: chromium not found ---> HINT: run scripts/fetch_browser.sh');
    process.exit(2);
  }
}

// Results: one line per check, failures collected so every check still runs and reports.
const results = [];
function report(name, problems, detail) {
  results.push({name, problems});
  const shown = problems.slice(0, 6).join('; ') +
      (problems.length > 6 ? `; and ${problems.length - 6} more` : '');
  console.log(
      problems.length ? `FAIL ${name}: ${shown}` : `ok   ${name}${detail ? ': ' + detail : ''}`);
}

// Every page records its console errors, page errors, dialogs and requests; any request that is
// not to the site's own files (file:, or data: for inline images) is a failure: the site must be
// self-contained. Such requests are aborted so nothing leaves the machine.
async function open_page(browser, log) {
  const page = await browser.newPage();
  await page.setViewport({width: 1400, height: 900});
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const url = req.url();
    if (/^(file|data|about):/.test(url)) return req.continue();
    log.push(`request to ${url.slice(0, 120)}`);
    return req.abort();
  });
  page.on('requestfailed', (req) => {
    if (/^(file|data):/.test(req.url())) log.push(`failed request ${req.url()}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') log.push(`console error: ${msg.text().slice(0, 200)}`);
  });
  page.on('pageerror', (err) => log.push(`page error: ${String(err.message).slice(0, 200)}`));
  page.on('dialog', async (dialog) => {
    log.push(`dialog (${dialog.type()}): ${dialog.message().slice(0, 80)}`);
    await dialog.dismiss();
  });
  return page;
}

async function goto(page, file) {
  await page.goto(pathToFileURL(file).href, {waitUntil: 'load', timeout: 30000});
}

// The leaderboard as the page shows it now: headers and each row's data-value and visibility.
function read_table(page) {
  return page.evaluate(() => {
    const t = document.querySelector('table#leaderboard');
    if (!t) return null;
    const head = (th) => {
      const sort = th.getAttribute('data-sort');
      const suite = th.hasAttribute('data-suite');
      return {text: th.textContent.trim(), sort, suite, aria: th.getAttribute('aria-sort')};
    };
    const row = (tr) => {
      const values = [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-value'));
      const visible = getComputedStyle(tr).display !== 'none';
      const unranked = tr.classList.contains('unranked');
      return {key: tr.textContent, text: tr.textContent.toLowerCase(), visible, values, unranked};
    };
    const heads = [...t.querySelectorAll('thead tr th')].map(head);
    const rows = [...t.querySelectorAll('tbody tr')].map(row);
    return {heads, rows};
  });
}

// Rows sorted by data-value in direction dir; missing ("") values last in both directions.
function check_sorted(rows, col, dir) {
  const vals = rows.map((r) => r.values[col]);
  const problems = [];
  if (vals.some((v) => v === null || v === undefined))
    return [`a row has no data-value cell ${col}`];
  const first_missing = vals.indexOf('');
  if (first_missing >= 0 && vals.slice(first_missing).some((v) => v !== '')) {
    problems.push(`missing value not last (${dir}): [${vals}]`);
  }
  const nums = vals.filter((v) => v !== '').map(Number);
  if (nums.some(Number.isNaN)) problems.push(`non-numeric data-value in [${vals}]`);
  for (let i = 1; i < nums.length; ++i) {
    if (dir === 'ascending' ? nums[i - 1] > nums[i] : nums[i - 1] < nums[i]) {
      problems.push(`not ${dir}: [${vals}]`);
      break;
    }
  }
  return problems;
}

async function check_sort_column(page, col, label) {
  const problems = [];
  const before = await read_table(page);
  const keys = before.rows.map((r) => r.key).sort().join('\n');
  const dirs = [];
  for (let click = 0; click < 2; ++click) {
    await page.click(`table#leaderboard thead tr th:nth-child(${col + 1})`);
    const t = await read_table(page);
    const dir = t.heads[col].aria;
    dirs.push(dir);
    if (dir !== 'ascending' && dir !== 'descending') {
      problems.push(`${label}: click ${click + 1} set aria-sort='${dir}'`);
      continue;
    }
    problems.push(...check_sorted(t.rows, col, dir).map((p) => `${label}: ${p}`));
    if (t.rows.map((r) => r.key).sort().join('\n') !== keys)
      problems.push(`${label}: rows changed`);
  }
  if (dirs[0] === dirs[1]) problems.push(`${label}: second click did not flip (${dirs[0]})`);
  return {problems, dirs};
}

async function check_sorting(page) {
  const t = await read_table(page);
  const nums = t.heads.map((h, i) => ({...h, i})).filter((h) => h.sort === 'num');
  // The mean column is the one whose header starts with 'mean' ("mean %"); suite headers carry
  // data-suite (older pages: the first other numeric column).
  const mean = nums.find((h) => h.text.toLowerCase().startsWith('mean'));
  const suite = nums.find((h) => h.suite) ?? nums.find((h) => h !== mean);
  if (!suite) return report('(c) sort', ['no data-sort="num" suite header']);
  const problems = [];
  const done = [];
  for (const h of mean ? [suite, mean] : [suite]) {
    const r = await check_sort_column(page, h.i, `'${h.text}'`);
    problems.push(...r.problems);
    done.push(`'${h.text}' ${r.dirs.join(' then ')}`);
  }
  report('(c) sort', problems, done.join(', '));
}

async function visible_after_typing(page, query) {
  await page.click('#filter', {clickCount: 3});
  await page.keyboard.press('Backspace');
  if (query) await page.type('#filter', query);
  return (await read_table(page)).rows;
}

// Types a query that matches some rows but not all (in upper case, to test case-insensitivity),
// then one that matches none, then clears the box.
async function check_filter(page) {
  if (!(await page.$('input#filter'))) return report('(d) filter', ['no <input id="filter">']);
  const rows = (await read_table(page)).rows;
  const names = (await page.$$eval('table#leaderboard tbody tr', (trs) => trs.map((tr) => {
    const td = tr.querySelector('td.model') ?? tr.querySelector('td');
    return (td?.getAttribute('data-value') || td?.textContent || '').trim();
  })));
  const query = names.find((n) => n && rows.some((r) => !r.text.includes(n.toLowerCase())));
  if (!query) return report('(d) filter', ['no row name that leaves another row out']);
  const problems = [];
  const cases = [
    [query.toUpperCase(), (r) => r.text.includes(query.toLowerCase())],
    ['zz-no-such-model-zz', () => false], ['', () => true]
  ];
  for (const [q, expect] of cases) {
    const got = await visible_after_typing(page, q);
    const bad = got.filter((r) => r.visible !== expect(r));
    if (bad.length)
      problems.push(`'${q}': ${bad.length} row(s) wrongly ${bad[0].visible ? 'shown' : 'hidden'}`);
  }
  const shown = (await visible_after_typing(page, query.toUpperCase())).filter((r) => r.visible);
  await visible_after_typing(page, '');
  report(
      '(d) filter', problems, `'${query.toUpperCase()}' shows ${shown.length} of ${rows.length}`);
}

// At a 1400 px wide window the page, and the leaderboard inside its scroll box, need no
// horizontal scrolling.
async function check_fit(page) {
  const m = await page.evaluate(() => {
    const wrap = document.querySelector('table#leaderboard')?.closest('.table-wrap');
    const runs = document.querySelector('table#runs')?.closest('.table-wrap');
    return {
      runs: runs ? runs.scrollWidth - runs.clientWidth : 0,
      inner: window.innerWidth,
      doc: document.documentElement.scrollWidth,
      wrap: wrap ? wrap.scrollWidth : null,
      wrap_client: wrap ? wrap.clientWidth : null,
      suites: document.querySelectorAll('table#leaderboard th[data-suite]').length,
    };
  });
  const problems = [];
  if (m.inner !== 1400) problems.push(`window is ${m.inner} px wide, not 1400`);
  if (m.doc > 1400) problems.push(`document scrollWidth ${m.doc} > 1400`);
  if (m.wrap === null) problems.push('no .table-wrap around table#leaderboard');
  else if (m.wrap > m.wrap_client)
    problems.push(`leaderboard scrolls: ${m.wrap} px in a ${m.wrap_client} px box`);
  if (m.runs > 0) problems.push(`the runs table scrolls by ${m.runs} px`);
  if (m.suites < 11) problems.push(`${m.suites} suite columns, the test data has 11`);
  report('(g) fits 1400 px', problems,
         `document ${m.doc} px, leaderboard ${m.wrap} of ${m.wrap_client} px, ${m.suites} suites`);
}

// The page says which suites rank; ranked rows (rank 1..) come first, each unranked row says why.
async function check_ranking(page) {
  const r = await page.evaluate(() => {
    const p = document.querySelector('#ranking');
    const rows = [...document.querySelectorAll('table#leaderboard tbody tr')].map((tr) => ({
      unranked: tr.classList.contains('unranked'),
      rank: tr.querySelector('td.rank')?.getAttribute('data-value') ?? null,
      note: tr.querySelector('td.model small.missing')?.textContent ?? '',
      model: tr.querySelector('td.model')?.getAttribute('data-value') ?? '',
      rescored: [...tr.querySelectorAll('.tag')].some((t) => t.textContent === 'rescored'),
    }));
    return {sentence: p ? p.textContent.trim() : null, rows};
  });
  const problems = [];
  const m = r.sentence?.match(/^Ranked on the (\d+) suites? (every ranked model ran|given by --rank-suites): /);
  if (!m) problems.push(`no ranking sentence (got ${JSON.stringify(r.sentence?.slice(0, 80))})`);
  const first_unranked = r.rows.findIndex((row) => row.unranked);
  if (first_unranked >= 0 && r.rows.slice(first_unranked).some((row) => !row.unranked))
    problems.push('a ranked row follows an unranked one');
  const ranks = r.rows.filter((row) => !row.unranked).map((row) => Number(row.rank));
  if (ranks.length === 0) problems.push('no ranked row');
  if (ranks.some((x, i) => !(x >= 1) || (i > 0 && x < ranks[i - 1])))
    problems.push(`ranks not ascending: [${ranks}]`);
  for (const row of r.rows.filter((x) => x.unranked)) {
    if (!/missing: |incomplete/.test(row.note)) problems.push(`${row.model}: no reason given`);
  }
  // The test data rescores one run: its row keeps the model and is marked.
  const rescored = r.rows.filter((row) => row.rescored).length;
  if (rescored === 0) problems.push('no row marked rescored');
  report('(h) ranking', problems,
         `${m ? m[1] : '?'} ranking suites, ${ranks.length} ranked, ` +
             `${r.rows.length - ranks.length} unranked, ${rescored} rescored`);
}

// No two labels of a chart read the same (the <title> tooltips inside a <text> left out).
async function check_chart_labels(page) {
  const charts = await page.evaluate(() => [...document.querySelectorAll('figure svg')].map((svg) => ({
    id: svg.closest('figure')?.id ?? '?',
    texts: [...svg.querySelectorAll('text')]
               .map((t) => [...t.childNodes].filter((n) => n.nodeType === 3)
                               .map((n) => n.textContent).join('').trim())
               .filter((t) => t !== ''),
  })));
  const problems = [];
  let labels = 0;
  for (const c of charts) {
    labels += c.texts.length;
    const seen = new Set();
    for (const t of c.texts) {
      if (seen.has(t)) problems.push(`${c.id}: '${t}' shown twice`);
      seen.add(t);
    }
  }
  if (charts.length === 0) problems.push('no charts');
  report('(i) chart labels distinct', problems, `${charts.length} charts, ${labels} labels`);
}

// Every run page linked from table#runs must load under the same rules as the index.
async function check_run_links(browser, site, run) {
  const log = [];
  const page = await open_page(browser, log);
  await goto(page, path.join(site, 'index.html'));
  const links = await page.$$eval(
      'table#runs a.run-link', (as) => as.map((a) => ({href: a.href, text: a.textContent})));
  const problems = [];
  if (links.length === 0) problems.push('no a.run-link in table#runs');
  for (const l of links) {
    if (!l.href.startsWith('file:'))
      problems.push(`run link ${l.href} is not a site file`);
    else if (!fs.existsSync(fileURLToPath(l.href)))
      problems.push(`run link ${l.href} missing`);
    else
      await page.goto(l.href, {waitUntil: 'load'});
  }
  const xss = links.find((l) => l.href.includes(run) || l.text.includes(run));
  if (!xss) problems.push(`no run link for ${run}`);
  await page.close();
  report('(a) run pages', [...problems, ...log], `${links.length} run pages load`);
  return xss ? path.dirname(fileURLToPath(xss.href)) : null;
}

// Elements a hostile response must never become inside a sample; returns a description of each.
function find_injected(page) {
  return page.evaluate(() => {
    const bad = [];
    const own = (u) => !u || u.startsWith('file:') || u.startsWith('data:');
    for (const s of document.querySelectorAll('.sample')) {
      for (const el of s.querySelectorAll('*')) {
        const tag = el.tagName.toLowerCase();
        const on = [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => a.name);
        if (on.length) bad.push(`<${tag} ${on.join(' ')}>`);
        if (['iframe', 'object', 'embed', 'meta', 'base', 'style', 'link'].includes(tag))
          bad.push(`<${tag}>`);
        if (['img', 'script'].includes(tag) && (tag === 'script' || !own(el.src)))
          bad.push(`<${tag}>`);
        if (tag === 'a' && /^\s*javascript:/i.test(el.getAttribute('href') ?? ''))
          bad.push('<a href=javascript:>');
      }
    }
    if (document.querySelector('meta[http-equiv="refresh" i]'))
      bad.push('<meta refresh> in document');
    if (!document.baseURI.startsWith('file:')) bad.push(`base URI ${document.baseURI}`);
    if (getComputedStyle(document.body).display === 'none') bad.push('body hidden by a <style>');
    return bad;
  });
}

function read_samples(page) {
  return page.evaluate(() => {
    const fields = ['pre.prompt', 'pre.response', 'pre.extracted', 'pre.gold', 'span.verdict'];
    const samples = [...document.querySelectorAll('div.sample')];
    return {
      count: samples.length,
      incomplete: samples.filter((s) => fields.some((f) => !s.querySelector(f))).length,
      responses: [...document.querySelectorAll('.sample pre.response')].map((p) => p.textContent),
      xss: typeof window.__xss === 'undefined' ? null : String(window.__xss),
      href: location.href,
    };
  });
}

// The HTML parser drops a raw NUL in text and turns &#0; into U+FFFD, so a payload with NUL is
// shown when either form of it is.
function payload_shown(text, p) {
  return [p, p.replace(/\0/g, '\uFFFD'), p.replace(/\0/g, '')].some((v) => text.includes(v));
}

async function check_xss(browser, run_dir, payloads, shot) {
  const problems = [];
  const pages = run_dir ?
      fs.readdirSync(run_dir).filter((f) => f.endsWith('.html') && f !== 'index.html').sort() :
      [];
  if (run_dir && pages.length === 0) problems.push(`no suite pages in ${run_dir}`);
  let responses = [];
  let samples = 0;
  for (const f of pages) {
    const log = [];
    const page = await open_page(browser, log);
    const file = path.join(run_dir, f);
    try {
      await goto(page, file);
      await new Promise((r) => setTimeout(r, 500));
      const s = await read_samples(page);
      if (s.xss !== null) problems.push(`${f}: window.__xss = ${s.xss}`);
      if (s.href !== pathToFileURL(file).href) problems.push(`${f}: navigated to ${s.href}`);
      if (s.count === 0) problems.push(`${f}: no div.sample`);
      if (s.incomplete)
        problems.push(
            `${f}: ${s.incomplete} sample(s) lack a prompt/response/extracted/gold/verdict`);
      problems.push(...(await find_injected(page)).map((b) => `${f}: ${b}`));
      responses = responses.concat(s.responses);
      samples += s.count;
      if (f === pages[0]) await page.screenshot({path: shot, fullPage: true});
    } catch (e) {
      // A page that navigates away (an injected <meta refresh>) destroys the context mid-check.
      problems.push(`${f}: ${e.message.split('\n')[0]}`);
    }
    problems.push(...log.map((l) => `${f}: ${l}`));
    await page.close();
  }
  const text = responses.join('\n\u0001\n');
  const missing = payloads.filter((p) => !payload_shown(text, p));
  if (missing.length)
    problems.push(
        `${missing.length} payload(s) not shown as text, first ${JSON.stringify(missing[0])}`);
  const counts = `${pages.length} pages, ${samples} samples`;
  report('(f) xss', problems, `${counts}, all ${payloads.length} payloads shown as text, ${shot}`);
}

async function check_index(browser, a) {
  const log = [];
  const page = await open_page(browser, log);
  await goto(page, path.join(a.site, 'index.html'));
  const t = await read_table(page);
  if (!t) {
    report('(b) rows', ['no table#leaderboard in index.html']);
  } else {
    const problems = t.rows.length === a.rows ? [] : [`${t.rows.length} rows, expected ${a.rows}`];
    report('(b) rows', problems, `${t.rows.length} models`);
    await page.screenshot({path: a.screenshot, fullPage: true});
    report(
        '(e) screenshot', fs.statSync(a.screenshot).size > 0 ? [] : ['empty file'], a.screenshot);
    await check_fit(page);
    await check_ranking(page);
    await check_chart_labels(page);
    await check_sorting(page);
    await check_filter(page);
  }
  await page.close();
  report('(a) index self-contained', log, 'no console errors, no requests outside the site');
}

async function main() {
  const a = parse_args(process.argv.slice(2));
  const payloads = JSON.parse(fs.readFileSync(a.payloads, 'utf8'));
  const puppeteer = await load_puppeteer(a['node-modules']);
  const browser = await puppeteer.launch({
    executablePath: find_chromium(a.chromium),
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  try {
    await check_index(browser, a);
    const run_dir = await check_run_links(browser, path.resolve(a.site), a['xss-run']);
    await check_xss(browser, run_dir, payloads, a['sample-screenshot']);
  } finally {
    await browser.close();
  }
  const failed = results.filter((r) => r.problems.length);
  if (failed.length) {
    console.log(
        `browser_check: ${failed.length} of ${results.length} checks failed: ` +
        `${failed[0].name}: ${failed[0].problems[0]}`);
    process.exit(1);
  }
  console.log(`browser_check: all ${results.length} checks passed`);
}

main().catch((e) => {
  console.log(`browser_check: error: ${e.message.split('\n')[0]}`);
  process.exit(1);
});
