/// The batch report's Mustache template, in the source (not a resource: the installed binary is copied alone).
///
/// Rules: every value goes through `{{ }}`, which escapes `& < > " '` (never a triple mustache, also not for numbers);
/// no script, no external font, image, style sheet or link; a Content-Security-Policy that forbids loading anything,
/// should a mail client or browser be tempted; readable printed (`@media print`, `@page`).
enum BatchReportTemplate {
    static let html = #"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="ml-connector">
        <title>Batch {{batchID}} · ml-connector batch report</title>
        <style>
        :root { --ink: #1d2330; --muted: #5b6475; --line: #d9dde5; --soft: #f4f6f9; --accent: #2f5d9e;
          --ok: #1f7a4d; --ok-bg: #e6f4ec; --warn: #8a5a00; --warn-bg: #fdf3dc; --bad: #a4262c; --bad-bg: #fbe9ea; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; }
        body { margin: 0; padding: 24px 32px 48px; color: var(--ink); background: #fff;
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        main { max-width: 1180px; margin: 0 auto; }
        h1 { font-size: 24px; margin: 0 0 4px; }
        h1 .mono { font-size: inherit; }
        h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
        h3 { font-size: 15px; margin: 18px 0 6px; }
        h3, .callout, figcaption, dd { overflow-wrap: anywhere; }
        p { margin: 6px 0; }
        .muted { color: var(--muted); }
        .mono, code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; }
        .figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin: 20px 0 4px; }
        .figure { border: 1px solid var(--line); border-left-width: 5px; border-radius: 6px; padding: 8px 12px; break-inside: avoid; }
        .figure .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
        .figure .value { font-size: 20px; font-weight: 600; }
        .figure .note { color: var(--muted); font-size: 12px; }
        .tone-ok { border-left-color: var(--ok); } .tone-warn { border-left-color: #d99a00; }
        .tone-bad { border-left-color: var(--bad); } .tone-neutral { border-left-color: var(--accent); }
        .badge { white-space: nowrap; display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: var(--soft); }
        .badge.tone-ok { background: var(--ok-bg); color: var(--ok); } .badge.tone-warn { background: var(--warn-bg); color: var(--warn); }
        .badge.tone-bad { background: var(--bad-bg); color: var(--bad); } .badge.tone-neutral { background: var(--soft); color: var(--accent); }
        .callout { border-radius: 6px; padding: 10px 14px; margin: 8px 0; background: var(--soft); }
        .callout.tone-ok { background: var(--ok-bg); } .callout.tone-warn { background: var(--warn-bg); } .callout.tone-bad { background: var(--bad-bg); }
        .table-wrap { overflow-x: auto; }
        table { width: 100%; border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
        th, td { text-align: left; vertical-align: baseline; padding: 4px 8px; border-bottom: 1px solid var(--line); overflow-wrap: break-word; }
        td.nowrap, td.mono { white-space: nowrap; }
        td.any { overflow-wrap: anywhere; white-space: normal; }
        table.narrow { width: auto; min-width: 45%; }
        th { background: var(--soft); font-weight: 600; white-space: nowrap; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; overflow-wrap: normal; }
        tr.total td { font-weight: 600; }
        tr.differs td { background: var(--bad-bg); }
        .group { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
        .group h3 { margin-top: 0; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 8px 32px; align-items: start; }
        figure { margin: 8px 0 16px; break-inside: avoid; }
        figcaption { font-weight: 600; margin-bottom: 4px; }
        svg.chart { width: 100%; max-width: 560px; height: auto; display: block; }
        svg.chart text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: var(--ink); }
        svg.chart text.amount { font-variant-numeric: tabular-nums; }
        svg.chart rect.bar { fill: var(--accent); }
        svg.chart rect.bar.negative { fill: var(--bad); }
        svg.chart rect.bar.novalue { fill: #9aa3b2; }
        footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
        @page { size: A4; margin: 14mm 12mm; }
        @media print {
          body { padding: 0; font-size: 10pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          main { max-width: none; }
          h2 { break-after: avoid; page-break-after: avoid; }
          h3, figcaption { break-after: avoid; page-break-after: avoid; }
          table { font-size: 8.5pt; }
          thead { display: table-header-group; }
          tr, .figure, figure, .group { break-inside: avoid; page-break-inside: avoid; }
          .table-wrap { overflow: visible; }
          .charts { display: block; }
          svg.chart { width: 520px; max-width: 100%; }
        }
        </style>
        </head>
        <body>
        <main>
        <header>
        <h1>Batch report <span class="mono">{{batchID}}</span></h1>
        <p class="muted">Written by ml-connector from the ledger and the batch's staged files, as of {{asOf}}.</p>
        <dl class="facts">
        {{#facts}}<dt>{{label}}</dt><dd>{{value}}</dd>
        {{/facts}}
        </dl>
        <div class="figures">
        {{#figures}}<div class="figure tone-{{tone}}"><div class="label">{{label}}</div><div class="value">{{value}}</div><div class="note">{{note}}</div></div>
        {{/figures}}
        </div>
        {{#hasMissing}}<p class="callout tone-warn">Not written yet for this batch: {{#missingFiles}}<span class="mono">{{.}}</span> {{/missingFiles}}(the stage that writes them has not run).</p>{{/hasMissing}}
        </header>

        <section id="totals">
        <h2>Control totals per company and currency</h2>
        {{#hasTotals}}
        <div class="table-wrap"><table id="control-totals">
        <thead><tr><th>Company</th><th>Currency</th><th class="num">Documents</th><th class="num">Lines</th><th class="num">Amount</th></tr></thead>
        <tbody>
        {{#totals}}<tr data-total-company="{{company}}" data-total-currency="{{currency}}" data-total-documents="{{documents}}" data-total-lines="{{lines}}" data-total-amount="{{amount}}"><td>{{company}}</td><td>{{currency}}</td><td class="num">{{documents}}</td><td class="num">{{lines}}</td><td class="num">{{amount}}</td></tr>
        {{/totals}}
        </tbody></table></div>
        <h3>Per main account</h3>
        <div class="table-wrap"><table id="account-totals">
        <thead><tr><th>Company</th><th>Currency</th><th>Main account</th><th class="num">Lines</th><th class="num">Amount</th></tr></thead>
        <tbody>
        {{#accountTotals}}<tr data-account-company="{{company}}" data-account-currency="{{currency}}" data-account="{{account}}" data-account-lines="{{lines}}" data-account-amount="{{amount}}"><td>{{company}}</td><td>{{currency}}</td><td class="mono">{{account}}</td><td class="num">{{lines}}</td><td class="num">{{amount}}</td></tr>
        {{/accountTotals}}
        </tbody></table></div>
        <p class="muted">From <span class="mono">transform/control-totals.csv</span> (documents counted in <span class="mono">transform/invoices.json</span>): the documents staged for load.</p>
        {{/hasTotals}}
        {{^hasTotals}}<p class="muted">Nothing staged for load.</p>{{/hasTotals}}
        </section>

        <section id="charts">
        <h2>Amounts by main account and by dimension</h2>
        {{#hasCharts}}
        <p class="muted">The lines staged for load, summed per currency (amounts in different currencies do not add). Each bar is labelled with its exact sum; credits are drawn in red, lines without a dimension value in grey.</p>
        {{#currencies}}
        <h3>{{currency}}</h3>
        <div class="charts">
        {{#charts}}
        <figure data-chart-kind="{{kind}}" data-chart-currency="{{currency}}">
        <figcaption>{{title}} ({{currency}})</figcaption>
        <svg class="chart" viewBox="0 0 {{chartWidth}} {{height}}" width="{{chartWidth}}" height="{{height}}" role="img" aria-label="{{title}} in {{currency}}">
        {{#bars}}<g><title>{{label}}: {{amount}} {{currency}}</title><text x="0" y="{{labelY}}">{{label}}</text><rect class="bar{{#negative}} negative{{/negative}}{{#noValue}} novalue{{/noValue}}" data-bar-kind="{{kind}}" data-bar-currency="{{currency}}" data-bar-key="{{key}}" data-bar-amount="{{amount}}" x="0" y="{{barY}}" width="{{width}}" height="14" rx="2"></rect><text class="amount" x="{{amountX}}" y="{{amountY}}">{{amount}}</text></g>
        {{/bars}}
        </svg>
        {{#hasOthers}}<p class="muted">{{others}}</p>{{/hasOthers}}
        </figure>
        {{/charts}}
        </div>
        {{/currencies}}
        {{/hasCharts}}
        {{^hasCharts}}<p class="muted">No lines staged for load.</p>{{/hasCharts}}
        {{#hasCharts}}
        <h3>Largest merchants</h3>
        {{#merchants}}
        <div class="table-wrap"><table class="narrow" data-merchants-currency="{{currency}}">
        <thead><tr><th>Merchant ({{currency}})</th><th class="num">Lines</th><th class="num">Amount</th></tr></thead>
        <tbody>
        {{#merchants}}<tr><td class="any" data-merchant>{{name}}</td><td class="num">{{lines}}</td><td class="num">{{amount}}</td></tr>
        {{/merchants}}
        </tbody></table></div>
        {{#hasOthers}}<p class="muted">{{others}}</p>{{/hasOthers}}
        {{/merchants}}
        {{/hasCharts}}
        </section>

        <section id="reports">
        <h2>Reports by status</h2>
        {{#hasReports}}
        <div class="table-wrap"><table id="report-statuses" class="narrow">
        <thead><tr><th>Status at transform</th><th class="num">Reports</th></tr></thead>
        <tbody>
        {{#statuses}}<tr data-status="{{status}}" data-status-count="{{count}}"><td>{{label}}</td><td class="num">{{count}}</td></tr>
        {{/statuses}}
        </tbody></table></div>
        {{#statuses}}
        <h3>{{label}}: {{count}} report(s)</h3>
        <div class="table-wrap"><table data-status-reports="{{status}}">
        <thead><tr><th>Report</th><th>Company</th><th>Employee</th><th class="num">Expensify total</th><th>Currency</th><th>Reason</th></tr></thead>
        <tbody>
        {{#reports}}<tr><td class="mono">{{reportID}}</td><td>{{company}}</td><td>{{employee}}</td><td class="num">{{expensifyTotal}}</td><td>{{currency}}</td><td class="any">{{reason}}</td></tr>
        {{/reports}}
        </tbody></table></div>
        {{#hasMore}}<p class="muted">and {{more}} more in <span class="mono">transform/reports.csv</span>.</p>{{/hasMore}}
        {{/statuses}}
        {{/hasReports}}
        {{^hasReports}}<p class="muted">The batch has not been transformed yet.</p>{{/hasReports}}
        {{#hasReportStates}}
        <h3>Report states now (ledger)</h3>
        <div class="table-wrap"><table id="report-states" class="narrow">
        <thead><tr><th>State</th><th class="num">Reports</th></tr></thead>
        <tbody>
        {{#reportStates}}<tr data-state="{{name}}"><td>{{name}}</td><td class="num">{{count}}</td></tr>
        {{/reportStates}}
        </tbody></table></div>
        {{/hasReportStates}}
        </section>

        <section id="load">
        <h2>Load</h2>
        {{#hasLoad}}
        <div class="table-wrap"><table id="load-outcomes" class="narrow">
        <thead><tr><th>Outcome of the newest load</th><th class="num">Documents</th></tr></thead>
        <tbody>
        {{#loadOutcomes}}<tr data-load-outcome="{{name}}" data-load-count="{{count}}"><td>{{name}}</td><td class="num">{{count}}</td></tr>
        {{/loadOutcomes}}
        </tbody></table></div>
        {{#hasLoadProblems}}
        <h3>Documents that need a look</h3>
        <div class="table-wrap"><table id="load-problems">
        <thead><tr><th>Document</th><th>Report</th><th>Company</th><th class="num">Total</th><th>Currency</th><th>Outcome</th><th>Why</th></tr></thead>
        <tbody>
        {{#loadProblems}}<tr data-load-problem="{{documentKey}}"><td class="mono">{{documentKey}}</td><td class="mono">{{reportID}}</td><td>{{company}}</td><td class="num">{{total}}</td><td>{{currency}}</td><td>{{status}}</td><td class="any">{{errorCode}}: {{error}}</td></tr>
        {{/loadProblems}}
        </tbody></table></div>
        {{#hasLoadProblemsMore}}<p class="muted">and {{loadProblemsMore}} more in <span class="mono">load/results.csv</span>.</p>{{/hasLoadProblemsMore}}
        {{/hasLoadProblems}}
        <p class="muted">From <span class="mono">load/results.csv</span>. A failed or locked document stays unlabelled in Expensify and is tried again by the next run; a report changed after it was posted is never posted again (correct it by hand).</p>
        {{/hasLoad}}
        {{^hasLoad}}<p class="muted">The batch has not been loaded yet.</p>{{/hasLoad}}
        </section>

        <section id="exceptions">
        <h2>Exceptions</h2>
        {{#hasExceptions}}
        <p>{{exceptionCount}} exception(s), grouped by field and reason. A report with any exception is held whole until it is fixed in Expensify or in the maps.</p>
        {{#exceptions}}
        <div class="group" data-exception-field="{{field}}" data-exception-count="{{count}}">
        <h3><span class="mono">{{field}}</span>: {{reason}} <span class="badge tone-warn">{{count}}</span></h3>
        <div class="table-wrap"><table>
        <thead><tr><th>Record</th><th>Report</th><th>Company</th><th>Employee</th></tr></thead>
        <tbody>
        {{#records}}<tr><td class="mono">{{record}}</td><td class="mono">{{reportID}}</td><td>{{company}}</td><td>{{employee}}</td></tr>
        {{/records}}
        </tbody></table></div>
        {{#hasMore}}<p class="muted">and {{more}} more in <span class="mono">transform/exceptions.csv</span>.</p>{{/hasMore}}
        </div>
        {{/exceptions}}
        {{/hasExceptions}}
        {{^hasExceptions}}<p class="muted">No exceptions.</p>{{/hasExceptions}}
        </section>

        <section id="review">
        <h2>Review and sign-off</h2>
        {{#review}}
        <p class="callout tone-{{tone}}" data-review-state="{{state}}">{{headline}}</p>
        {{#signed}}
        <h3>Newest sign-off: {{signedBy}}, {{signedAt}}</h3>
        <div class="table-wrap"><table id="signed-files">
        <thead><tr><th>Staged file</th><th>SHA-256 signed off</th><th>Now</th></tr></thead>
        <tbody>
        {{#signedFiles}}<tr data-signed-file="{{name}}" data-signed-now="{{now}}"><td class="mono">{{name}}</td><td class="mono any">{{sha256}}</td><td><span class="badge tone-{{tone}}">{{now}}</span></td></tr>
        {{/signedFiles}}
        </tbody></table></div>
        <div class="table-wrap"><table id="signed-totals" class="narrow">
        <thead><tr><th>Company</th><th>Currency</th><th class="num">Total signed off</th></tr></thead>
        <tbody>
        {{#signedTotals}}<tr><td>{{company}}</td><td>{{currency}}</td><td class="num">{{amount}}</td></tr>
        {{/signedTotals}}
        </tbody></table></div>
        {{/signed}}
        {{#hasOverrides}}
        <h3>Edits imported from the spreadsheet</h3>
        <div class="table-wrap"><table id="overrides">
        <thead><tr><th>Document</th><th class="num">Line</th><th>Field</th><th>Was</th><th>Now</th><th>By</th><th>When</th></tr></thead>
        <tbody>
        {{#overrides}}<tr><td class="mono">{{documentKey}}</td><td class="num">{{lineNumber}}</td><td>{{field}}</td><td>{{oldValue}}</td><td>{{newValue}}</td><td>{{by}}</td><td>{{at}}</td></tr>
        {{/overrides}}
        </tbody></table></div>
        {{/hasOverrides}}
        {{/review}}
        </section>

        <section id="reconciliation">
        <h2>Reconciliation with the ERP</h2>
        {{#reconciliation}}
        <p class="callout tone-{{tone}}" data-reconciled="{{tone}}">{{headline}}</p>
        <div class="table-wrap"><table id="reconciliation-totals">
        <thead><tr><th>Company</th><th>Currency</th><th>Account</th><th class="num">Expensify</th><th class="num">Staged</th><th class="num">ERP</th><th class="num">Difference</th></tr></thead>
        <tbody>
        {{#totals}}<tr class="{{#isTotal}}total{{/isTotal}}{{#differs}} differs{{/differs}}"><td>{{company}}</td><td>{{currency}}</td><td class="mono">{{account}}</td><td class="num">{{expensify}}</td><td class="num">{{staged}}</td><td class="num">{{erp}}</td><td class="num">{{difference}}</td></tr>
        {{/totals}}
        </tbody></table></div>
        {{#hasVariances}}
        <h3>Variances</h3>
        <div class="table-wrap"><table id="variances">
        <thead><tr><th>Kind</th><th>Company</th><th>Report</th><th>Document</th><th>What differs</th></tr></thead>
        <tbody>
        {{#variances}}<tr data-variance="{{kind}}"><td>{{kind}}</td><td>{{company}}</td><td class="mono">{{reportID}}</td><td class="mono">{{documentKey}}</td><td class="any">{{detail}}</td></tr>
        {{/variances}}
        </tbody></table></div>
        {{/hasVariances}}
        {{/reconciliation}}
        {{^reconciliation}}<p class="callout" data-reconciled="none">Not reconciled yet.</p>{{/reconciliation}}
        </section>

        <section id="stages">
        <h2>Stages and HTTP requests</h2>
        {{#hasStages}}
        <div class="table-wrap"><table id="stage-runs">
        <thead><tr><th>Stage</th><th>Started (UTC)</th><th>Finished</th><th class="num">Duration</th><th>Outcome</th><th>Counts</th><th>HTTP requests</th></tr></thead>
        <tbody>
        {{#stages}}<tr data-stage="{{stage}}"><td class="nowrap">{{stage}}</td><td class="nowrap">{{started}}</td><td class="nowrap">{{finished}}</td><td class="num">{{duration}}</td><td><span class="badge tone-{{tone}}">{{outcome}}</span></td><td class="any">{{counts}}</td><td>{{requests}}</td></tr>
        {{#hasError}}<tr><td></td><td colspan="6" class="muted any">{{error}}</td></tr>
        {{/hasError}}{{/stages}}
        </tbody></table></div>
        {{/hasStages}}
        {{#hasRequests}}
        <h3>HTTP requests per system (every stage run of the batch, retries included)</h3>
        <div class="table-wrap"><table id="requests" class="narrow">
        <thead><tr><th>System</th><th class="num">Requests</th></tr></thead>
        <tbody>
        {{#requests}}<tr data-requests-system="{{name}}" data-requests="{{count}}"><td>{{name}}</td><td class="num">{{count}}</td></tr>
        {{/requests}}
        </tbody></table></div>
        {{/hasRequests}}
        </section>

        <footer>
        <p>ml-connector batch report for batch <span class="mono">{{batchID}}</span>, as of {{asOf}}. The staged files beside this report are the full record; lists here stop after 100 entries.</p>
        </footer>
        </main>
        </body>
        </html>

        """#
}
