/**
 * Style sheet of the admin pages, kept in the program so `deno compile`
 * carries it. The pages set no inline styles, because their
 * Content-Security-Policy allows style sheets from this server only.
 */
export const ADMIN_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9;
  --surface: #ffffff;
  --text: #1c2330;
  --muted: #5b6577;
  --border: #dde1e7;
  --accent: #2456c7;
  --accent-text: #ffffff;
  --focus: #f2a900;
  --ok-bg: #e3f4e8; --ok-text: #17663a;
  --warn-bg: #fdf1d8; --warn-text: #7a4b00;
  --info-bg: #e4ecfb; --info-text: #1d4596;
  --bad-bg: #fbe4e4; --bad-text: #9b1c1c;
  --quiet-bg: #eceef2; --quiet-text: #444c5a;
  --mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --surface: #1b2029; --text: #e6e9ef; --muted: #9aa4b5;
    --border: #2e3542; --accent: #7aa2f7; --accent-text: #0c1220;
    --ok-bg: #15351f; --ok-text: #8fe0a8;
    --warn-bg: #3a2c0c; --warn-text: #f5cf7a;
    --info-bg: #17264a; --info-text: #a9c2f5;
    --bad-bg: #421a1a; --bad-text: #f3a5a5;
    --quiet-bg: #272d38; --quiet-text: #c3c9d4;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible,
select:focus-visible, summary:focus-visible {
  outline: 3px solid var(--focus);
  outline-offset: 2px;
}
.skip-link { position: absolute; left: -999px; top: 0; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip-path: inset(50%); white-space: nowrap;
}
.skip-link:focus { left: 8px; top: 8px; background: var(--surface); padding: 6px 10px; z-index: 10; }
.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px;
  padding: 10px 24px; background: var(--surface);
  border-bottom: 1px solid var(--border);
}
.brand { font-weight: 700; color: var(--text); text-decoration: none; }
.top nav { display: flex; align-items: center; gap: 4px; flex-wrap: wrap; }
.top nav a {
  padding: 6px 10px; border-radius: 6px; text-decoration: none; color: var(--muted);
}
.top nav a[aria-current="page"] { color: var(--text); background: var(--quiet-bg); font-weight: 600; }
.top nav form { margin: 0 0 0 8px; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 1.5rem; margin: 4px 0 16px; }
h2 { font-size: 1.1rem; margin: 28px 0 10px; }
.panel > h2:first-child { margin-top: 0; }
main > * + *, .stack > * + * { margin-top: 16px; }
h3 { font-size: 1rem; margin: 18px 0 8px; }
.subtitle { color: var(--muted); margin: -10px 0 16px; }
.panel {
  background: var(--surface); border: 1px solid var(--border);
  border-radius: 10px; padding: 16px;
}
.filters { display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); align-items: end; }
.field { display: flex; flex-direction: column; gap: 4px; }
.field label { font-size: 0.85rem; font-weight: 600; color: var(--muted); }
.field .hint { font-size: 0.8rem; color: var(--muted); }
input[type="text"], input[type="search"], input[type="password"], select {
  font: inherit; padding: 7px 9px; border-radius: 6px; width: 100%;
  border: 1px solid var(--border); background: var(--surface); color: var(--text);
}
input[aria-invalid="true"] { border-color: var(--bad-text); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.actions select { width: auto; min-width: 12rem; }
.actions label { font-weight: 600; color: var(--muted); }
button, .button {
  font: inherit; font-weight: 600; padding: 7px 14px; border-radius: 6px;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text);
  cursor: pointer; text-decoration: none; display: inline-block; line-height: 1.4;
}
button.secondary, .button.secondary { background: transparent; color: var(--accent); }
button.small { padding: 3px 10px; font-size: 0.85rem; }
button.link {
  background: none; border: none; color: var(--muted); padding: 6px 10px; font-weight: 400;
}
button.link:hover { color: var(--text); text-decoration: underline; }
button:disabled { opacity: 0.5; cursor: not-allowed; }
.notice, .error-box {
  border-radius: 8px; padding: 10px 14px; margin: 0 0 16px;
}
.notice { background: var(--ok-bg); color: var(--ok-text); }
.error-box { background: var(--bad-bg); color: var(--bad-text); }
.empty { text-align: center; color: var(--muted); padding: 32px 16px; }
.table-wrap { overflow-x: auto; margin-top: 12px; }
table { width: 100%; border-collapse: collapse; background: var(--surface); }
.table-wrap > table { border: 1px solid var(--border); border-radius: 10px; }
.table-wrap.flat { margin-top: 0; }
.table-wrap.flat > table { border: none; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--border); vertical-align: top; }
thead th { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); white-space: nowrap; }
tbody th { font-weight: 600; }
td time { white-space: nowrap; }
tr:last-child td, tr:last-child th { border-bottom: none; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.mono, code, pre { font-family: var(--mono); font-size: 0.85rem; }
.clip { max-width: 12rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.wrap { overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.badge {
  display: inline-block; padding: 1px 8px; border-radius: 999px;
  font-size: 0.8rem; font-weight: 600; white-space: nowrap;
  background: var(--quiet-bg); color: var(--quiet-text);
}
.badges { display: flex; flex-wrap: wrap; gap: 4px; }
.state-succeeded, .state-closed, .result-success { background: var(--ok-bg); color: var(--ok-text); }
.state-pending, .state-half_open, .result-unknown { background: var(--warn-bg); color: var(--warn-text); }
.state-in_flight { background: var(--info-bg); color: var(--info-text); }
.state-dead, .state-open, .result-failure { background: var(--bad-bg); color: var(--bad-text); }
.pager { display: flex; justify-content: space-between; gap: 12px; margin-top: 14px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
.facts dt { color: var(--muted); font-weight: 600; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.columns { display: grid; gap: 16px; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); }
.transcript { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
.turn { max-width: 85%; padding: 8px 12px; border-radius: 12px; background: var(--quiet-bg); }
.turn-user { align-self: flex-end; background: var(--info-bg); }
.turn-meta { font-size: 0.8rem; color: var(--muted); display: flex; gap: 8px; }
.turn p { margin: 2px 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.delivery { border-top: 1px solid var(--border); padding-top: 12px; margin-top: 12px; }
.delivery:first-of-type { border-top: none; margin-top: 0; padding-top: 0; }
.delivery-head { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; }
details summary { cursor: pointer; font-weight: 600; }
pre.raw { max-height: 32rem; overflow: auto; padding: 12px; background: var(--bg); border-radius: 8px; white-space: pre-wrap; overflow-wrap: anywhere; }
.grid-2 { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(min(320px, 100%), 1fr)); }
.stat { font-size: 1.6rem; font-weight: 700; }
.login { max-width: 380px; margin: 10vh auto; }
.login form { display: flex; flex-direction: column; gap: 14px; }
.excerpt { max-width: 22rem; white-space: pre-wrap; overflow-wrap: anywhere; }
@media (max-width: 760px) {
  main { padding: 14px 12px 40px; }
  .top { padding: 10px 12px; }
  .columns { grid-template-columns: minmax(0, 1fr); }
  .turn { max-width: 100%; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards thead { position: absolute; left: -9999px; }
  table.cards tr { border-bottom: 1px solid var(--border); padding: 6px 0; }
  table.cards td { border: none; padding: 3px 10px; display: grid; grid-template-columns: 8.5rem minmax(0, 1fr); gap: 8px; text-align: left; }
  table.cards td time { white-space: normal; }
  table.cards td::before { content: attr(data-label); font-weight: 600; color: var(--muted); font-size: 0.85rem; }
  .clip { max-width: none; white-space: normal; overflow-wrap: anywhere; }
  .table-wrap.flat table { font-size: 0.85rem; }
  .table-wrap.flat th, .table-wrap.flat td { padding: 6px; white-space: normal; }
}
`;
