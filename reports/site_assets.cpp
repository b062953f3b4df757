// The report site's stylesheet and script, written next to the pages (no CDN, no fonts, no
// network): sortable tables, the leaderboard filter box and the sample-page verdict filter.
#include "reports/site_html.h"

namespace moebench {
namespace {

// NOTE: plain ES5-level DOM code so any browser from the last decade runs it from file://.
const char* kSiteJs =
    R"JS(// moebench report: sortable tables and filters. No dependencies, no network.
(function () {
  'use strict';

  // The sort key of a row's cell: data-value when present, else the text. Missing -> null.
  function key(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) return null;
    var v = cell.hasAttribute('data-value') ? cell.getAttribute('data-value') : cell.textContent;
    v = v.trim();
    if (v === '') return null;
    if (kind === 'num') {
      var x = parseFloat(v);
      return isNaN(x) ? null : x;
    }
    return v.toLowerCase();
  }

  function sortTable(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var kind = th.getAttribute('data-sort');
    var now = th.getAttribute('aria-sort');
    var dir = now === 'descending' ? 'ascending'
            : now === 'ascending' ? 'descending'
            : (kind === 'num' ? 'descending' : 'ascending');
    var heads = th.parentNode.querySelectorAll('th[data-sort]');
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute('aria-sort');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var order = rows.map(function (row, i) { return { row: row, k: key(row, index, kind), i: i }; });
    order.sort(function (a, b) {
      if (a.k === null || b.k === null) {  // missing values last in both directions
        if (a.k === b.k) return a.i - b.i;
        return a.k === null ? 1 : -1;
      }
      var c = kind === 'num' ? a.k - b.k : (a.k < b.k ? -1 : a.k > b.k ? 1 : 0);
      if (c === 0) return a.i - b.i;
      return dir === 'ascending' ? c : -c;
    });
    order.forEach(function (o) { body.appendChild(o.row); });
    th.setAttribute('aria-sort', dir);
  }

  function filterRows(input) {
    var table = document.getElementById(input.getAttribute('data-filter'));
    if (!table) return;
    var q = input.value.trim().toLowerCase();
    var rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      var show = q === '' || rows[i].textContent.toLowerCase().indexOf(q) >= 0;
      rows[i].style.display = show ? '' : 'none';
    }
  }

  function filterSamples(select) {
    var want = select.value;
    var samples = document.querySelectorAll('.sample');
    for (var i = 0; i < samples.length; i++) {
      var v = samples[i].getAttribute('data-verdict');
      samples[i].style.display = (want === 'all' || v === want) ? '' : 'none';
    }
  }

  function init() {
    var tables = document.querySelectorAll('table.sortable');
    Array.prototype.forEach.call(tables, function (table) {
      var heads = table.querySelectorAll('thead th[data-sort]');
      Array.prototype.forEach.call(heads, function (th) {
        th.tabIndex = 0;
        th.addEventListener('click', function () { sortTable(table, th); });
        th.addEventListener('keydown', function (e) {
          if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortTable(table, th); }
        });
      });
    });
    var inputs = document.querySelectorAll('input[data-filter]');
    Array.prototype.forEach.call(inputs, function (input) {
      input.addEventListener('input', function () { filterRows(input); });
      filterRows(input);
    });
    var select = document.getElementById('verdict-filter');
    if (select) {
      select.addEventListener('change', function () { filterSamples(select); });
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
)JS";

const char* kSiteCss = R"CSS(/* moebench report */
:root { --fg: #1d2330; --muted: #5d6675; --line: #d9dee7; --bg: #ffffff; --band: #f4f6fa;
        --good: #0b7a3e; --bad: #b3261e; --accent: #0060b0; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1600px; padding: 16px 24px 48px; color: var(--fg);
       background: var(--bg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto,
       "Noto Sans", "Noto Sans CJK SC", sans-serif; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta, small, .muted { color: var(--muted); }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
nav.crumbs { margin-bottom: 8px; color: var(--muted); }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: right;
         white-space: nowrap; vertical-align: top; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
td.model { max-width: 360px; overflow-wrap: anywhere; white-space: normal; }
thead th { background: var(--band); position: sticky; top: 0; font-weight: 600; }
th[data-sort] { cursor: pointer; user-select: none; }
th[data-sort]::after { content: " \2195"; color: #a0a8b5; font-size: 11px; }
th[aria-sort="ascending"]::after { content: " \25B2"; color: var(--fg); }
th[aria-sort="descending"]::after { content: " \25BC"; color: var(--fg); }
tbody tr:nth-child(even) { background: #fafbfd; }
tbody tr:hover { background: #eef3fb; }
td small { margin-left: 3px; }
.err { color: var(--bad); font-weight: 600; }
/* The leaderboard fits a 1400 px window with 11 suites: headers wrap, CI / n / notes sit on lines
   of their own in small text, model ids and scopes wrap. */
.ranking { margin: 4px 0 8px; max-width: 1100px; }
#leaderboard { font-size: 13px; }
#leaderboard th, #leaderboard td { padding: 4px 4px; }
#leaderboard th { white-space: normal; font-size: 12px; }
#leaderboard th.suite { font-size: 11px; }
#leaderboard th .nw { white-space: nowrap; }
#leaderboard th.model, #leaderboard td.model { text-align: left; }
#leaderboard th.suite.unranked { font-weight: 400; font-style: italic; color: var(--muted); }
#leaderboard td small { display: block; margin: 0; font-size: 11px; line-height: 1.25; }
#leaderboard td.model { min-width: 130px; max-width: 220px; }
#leaderboard td.scope { white-space: normal; min-width: 64px; max-width: 110px; }
#leaderboard tr.unranked td.rank, #leaderboard tr.unranked td.mean { color: var(--muted); }
small.missing { color: #8a5a00; }
#runs td.text { white-space: normal; overflow-wrap: anywhere; }
.tag { display: inline-block; border: 1px solid var(--line); border-radius: 3px; padding: 0 4px;
       font-size: 11px; color: var(--muted); }
#leaderboard td small.tag { display: inline-block; margin-top: 2px; }
.warn { border-left: 4px solid var(--bad); background: #fdf1f0; padding: 6px 10px; margin: 8px 0; }
.filter { margin: 6px 0 10px; } .filter input, .filter select { padding: 5px 8px; min-width: 280px;
          border: 1px solid var(--line); border-radius: 4px; font: inherit; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.sample { border: 1px solid var(--line); border-left-width: 5px; border-radius: 6px;
          padding: 8px 12px; margin: 10px 0; }
.sample[data-verdict="pass"] { border-left-color: var(--good); }
.sample[data-verdict="fail"] { border-left-color: var(--bad); }
.sample[data-verdict="error"] { border-left-color: #8a5a00; }
.sample .head { display: flex; gap: 14px; flex-wrap: wrap; align-items: baseline; }
.sample .label { color: var(--muted); font-size: 12px; margin-top: 6px; }
.verdict { font-weight: 700; text-transform: uppercase; font-size: 12px; }
.verdict.pass { color: var(--good); } .verdict.fail { color: var(--bad); }
.verdict.error, .verdict.partial { color: #8a5a00; }
pre { margin: 2px 0; padding: 6px 8px; background: var(--band); border-radius: 4px;
      white-space: pre-wrap; overflow-wrap: anywhere; max-height: 420px; overflow: auto;
      font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; unicode-bidi: plaintext; }
details > summary { cursor: pointer; color: var(--muted); font-size: 12px; }
.pages { margin: 10px 0; } .pages a, .pages span { margin-right: 8px; }
.up { color: var(--good); } .down { color: var(--bad); font-weight: 600; }
)CSS";

}  // namespace

void site_write_assets(const std::filesystem::path& out_dir) {
  site_write_file(out_dir / "site.js", kSiteJs);
  site_write_file(out_dir / "site.css", kSiteCss);
}

}  // namespace moebench
