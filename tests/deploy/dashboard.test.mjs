// Tests of the Grafana dashboard helm/adadiff/files/dashboard.json without Grafana: it type-checks
// against @grafana/schema (dashboard-check.ts, tsc --noEmit), follows the conventions of
// inference-server dashboards (a data-source variable, model and backend variables from
// label_values, percentiles of the _seconds histograms), shows what the project's metrics say, and
// every query parses as PromQL (promtool). prometheus.test.mjs runs every query against the real
// server scraped by a real Prometheus.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allPanels, dataPanels, loadDashboard, queries, substitute } from './lib/dashboard.mjs';
import { DEPLOY_DIR, OBSERVABILITY_DOC } from './lib/paths.mjs';
import { which } from './lib/processes.mjs';

const dashboard = loadDashboard();
const panels = dataPanels(dashboard);
const targets = queries(dashboard);
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** Whether position `index` of `expr` lies within the parentheses of a call of `fn`. */
function insideCall(expr, index, fn) {
  for (let start = expr.lastIndexOf(`${fn}(`, index); start >= 0; start = expr.lastIndexOf(`${fn}(`, start - 1)) {
    let depth = 0;
    for (let i = start + fn.length; i < index; i++) {
      if (expr[i] === '(') depth++;
      else if (expr[i] === ')') depth--;
    }
    if (depth > 0) return true;
    if (start === 0) break;
  }
  return false;
}

function scratch(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adadiff-dashboard-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('dashboard.json', () => {
  test('type-checks against @grafana/schema (tsc --noEmit)', (t) => {
    const tsc = path.join(DEPLOY_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
    assert.ok(fs.existsSync(tsc), 'typescript is not installed: run npm ci in tests/deploy');
    // The JSON as a TypeScript literal: a literal keeps its string values' literal types, which the
    // schema's enums and the panel-type union need (a JSON import widens them to string).
    const dir = scratch(t);
    const checker = path.join(DEPLOY_DIR, 'dashboard-check.ts').replace(/\.ts$/, '');
    const literal = path.join(dir, 'dashboard.ts');
    fs.writeFileSync(literal, [
      `import type { AdaDiffDashboard } from ${JSON.stringify(checker)};`,
      `export const dashboard: AdaDiffDashboard = ${JSON.stringify(dashboard, null, 2)};`,
      '',
    ].join('\n'));
    const config = path.join(dir, 'tsconfig.json');
    fs.writeFileSync(config, JSON.stringify({ extends: path.join(DEPLOY_DIR, 'tsconfig.json'), files: [literal] }));
    const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', config], { encoding: 'utf8', timeout: 120000 });
    assert.equal(run.status, 0, `tsc found type errors in dashboard.json (lines of ${literal}):\n${run.stdout}${run.stderr}`);
  });

  test('at least 12 panels, each with a unique id, a title and a description', () => {
    assert.ok(panels.length >= 12, `only ${panels.length} panels`);
    const ids = allPanels(dashboard).map((p) => p.id);
    assert.ok(ids.every(Number.isInteger), `panel ids must be integers: ${ids}`);
    assert.equal(new Set(ids).size, ids.length, `panel ids repeat: ${ids}`);
    const titles = panels.map((p) => p.title);
    assert.equal(new Set(titles).size, titles.length, `panel titles repeat: ${titles}`);
    for (const panel of panels) {
      assert.ok(panel.title?.trim(), `panel ${panel.id} has no title`);
      assert.ok(panel.description?.trim().length > 30, `panel '${panel.title}' has no description`);
    }
    assert.ok(dashboard.uid && dashboard.title && dashboard.description, 'the dashboard needs a uid, a title and a description');
  });

  test("every panel's and every query's data source is the datasource variable; every query has an expr", () => {
    for (const panel of panels) {
      assert.deepEqual(panel.datasource, DATASOURCE, `panel '${panel.title}'`);
      assert.ok(panel.targets?.length > 0, `panel '${panel.title}' has no queries`);
      const refIds = panel.targets.map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `panel '${panel.title}': refIds repeat`);
    }
    for (const { panel, target } of targets) {
      assert.deepEqual(target.datasource, DATASOURCE, `a query of '${panel.title}'`);
      assert.ok(typeof target.expr === 'string' && target.expr.trim(), `a query of '${panel.title}' has no expr`);
      assert.match(target.expr, /adadiff_/, `a query of '${panel.title}' reads no AdaDiff series`);
    }
  });

  test('template variables: datasource (prometheus), model and backend from label_values', () => {
    const list = dashboard.templating?.list ?? [];
    const byName = Object.fromEntries(list.map((v) => [v.name, v]));
    assert.equal(byName.datasource?.type, 'datasource');
    assert.equal(byName.datasource?.query, 'prometheus');
    for (const name of ['model', 'backend']) {
      const v = byName[name];
      assert.ok(v, `no ${name} variable`);
      assert.equal(v.type, 'query');
      assert.deepEqual(v.datasource, DATASOURCE);
      assert.match(String(v.query), new RegExp(`^label_values\\(adadiff_[a-z_]+(\\{[^}]*\\})?, ${name}\\)$`));
      assert.equal(v.includeAll, true, `${name}: an All option`);
      assert.equal(v.multi, true, `${name}: several values at once`);
    }
    assert.match(byName.backend.query, /\$model/, 'the backend variable follows the model selection');
    // Every query that reads per-model series is filtered by both variables.
    for (const { panel, target } of targets) {
      if (/^\(?\s*sum by \(job\)/.test(target.expr)) continue; // a service-wide line (all calls of a job)
      assert.match(target.expr, /model=~"\$model"/, `a query of '${panel.title}' ignores $model`);
      assert.match(target.expr, /backend=~"\$backend"/, `a query of '${panel.title}' ignores $backend`);
    }
  });

  test('panels sit on the 24-column grid without overlapping', () => {
    const cells = new Map();
    for (const panel of allPanels(dashboard)) {
      const { x, y, w, h } = panel.gridPos ?? {};
      assert.ok([x, y, w, h].every(Number.isInteger) && w > 0 && h > 0 && x >= 0 && x + w <= 24, `panel '${panel.title}': gridPos ${JSON.stringify(panel.gridPos)}`);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const key = `${i},${j}`;
          assert.ok(!cells.has(key), `panels '${cells.get(key)}' and '${panel.title}' overlap at ${key}`);
          cells.set(key, panel.title);
        }
      }
    }
  });

  test('_seconds histograms are shown as percentiles with histogram_quantile', () => {
    for (const { panel, target } of targets) {
      for (const m of (target.expr ?? '').matchAll(/adadiff_[a-z_]+_seconds_bucket/g)) {
        assert.ok(insideCall(target.expr, m.index, 'histogram_quantile'), `'${panel.title}' reads ${m[0]} outside histogram_quantile`);
      }
    }
    for (const histogram of ['step_duration', 'generation_duration', 'first_step_latency', 'queue_wait']) {
      const shown = targets.filter(({ target }) => target.expr.includes(`histogram_quantile(0.99, sum by (le, model, backend) (rate(adadiff_${histogram}_seconds_bucket`));
      assert.ok(shown.length > 0, `no panel shows the p99 of adadiff_${histogram}_seconds`);
    }
  });

  test('the panels show what the metrics say', () => {
    const panelWith = (re, type) => panels.filter((p) => (!type || p.type === type) && p.targets.some((t) => re.test(t.expr)));
    const need = (what, re, type) => assert.ok(panelWith(re, type).length > 0, `no ${type ?? ''} panel shows ${what} (${re})`);
    need('the acceleration ratio', /^1 - .*adadiff_layers_executed_total.*\/.*adadiff_layers_full_total/, 'timeseries');
    need('layers executed against full depth', /^sum by \(model, backend\) \(rate\(adadiff_layers_full_total/, 'timeseries');
    need('FLOPs executed', /adadiff_flops_executed_total/, 'timeseries');
    need('FLOPs saved', /adadiff_flops_saved_total/, 'timeseries');
    need('device-seconds saved', /adadiff_compute_saved_seconds_total/, 'timeseries');
    need('the exit layer by timestep', /by \(timestep_bucket\).*adadiff_exit_layer_sum.*adadiff_exit_layer_count/, 'heatmap');
    need('the exit-layer buckets', /by \(le\) \(increase\(adadiff_exit_layer_bucket/, 'heatmap');
    need('images per second', /rate\(adadiff_images_total/, 'timeseries');
    need('active generations', /adadiff_generations_active/, 'timeseries');
    need('the queue depth', /adadiff_queue_depth/, 'timeseries');
    need('the batch size', /adadiff_batch_size_bucket/, 'timeseries');
    need('errors by gRPC code', /by \([^)]*\bcode\b[^)]*\) \(rate\(adadiff_requests_total\{[^}]*code!="OK"/, 'timeseries');
    const exitHeatmap = panelWith(/adadiff_exit_layer_bucket/, 'heatmap')[0];
    assert.equal(exitHeatmap.targets[0].format, 'heatmap', 'the exit-layer buckets are read as a heatmap (format heatmap)');
    for (const panel of panels) {
      const legends = panel.targets.map((t) => t.legendFormat);
      assert.equal(new Set(legends).size, legends.length, `'${panel.title}': two queries with one legend`);
    }
  });

  test('every query parses as PromQL (promtool check rules)', (t) => {
    if (!which('promtool')) assert.fail("promtool is not installed: install Debian's 'prometheus' package (apt-get install prometheus)");
    const values = { model: 'fashion-mnist-uvit', backend: 'onnxruntime', datasource: 'prometheus' };
    const rules = targets.map(({ panel, target }) => ({
      record: `dashboard:panel_${panel.id}_${target.refId}:query`,
      expr: substitute(target.expr, values),
    }));
    const dir = scratch(t);
    const file = path.join(dir, 'dashboard-queries.yaml');
    fs.writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }, null, 2)); // JSON is YAML
    const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 60000 });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  });

  test('docs/observability.md describes every panel with its PromQL', () => {
    const doc = fs.readFileSync(OBSERVABILITY_DOC, 'utf8');
    for (const panel of panels) {
      assert.ok(doc.includes(`#### ${panel.title} (${panel.type}, panel ${panel.id})`), `no section for panel '${panel.title}'`);
      for (const target of panel.targets) assert.ok(doc.includes(target.expr), `the doc lacks the query of '${panel.title}': ${target.expr}`);
    }
  });
});
