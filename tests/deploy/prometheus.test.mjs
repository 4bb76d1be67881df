// The live test: the real AdaDiff server, scraped every second by Debian's Prometheus (a plain
// process on loopback) that evaluates helm/adadiff/files/prometheus-rules.yaml every second. The
// Node client generates images at adaptive exits and at full depth and makes one invalid call;
// then every recording rule and every dashboard query must return data, and the recorded
// acceleration ratio must equal the one computed from the calls' own stats.
//
// Why the numbers can be compared exactly: the server is warmed up (every series created) before
// Prometheus starts, so Prometheus's first sample of each counter already holds the warm-up and
// the increase it sees is exactly the measured calls'. Every series is scraped at the same
// instants and the whole history lies inside the rules' 5-minute window, so rate() extrapolates
// each series by the same half scrape interval at the start (and the same time to the end),
// unless it thinks the counter started from zero within the window: it extrapolates back to the
// zero point instead, which lies `span × first / increase` before the first sample. Waiting until
// the sampled span makes that point more than a scrape interval away for every counter compared
// gives them one extrapolation factor, and the ratio of rates is the ratio of increases.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { loadDashboard, queries, substitute } from './lib/dashboard.mjs';
import { scrape, sumOf } from './lib/metrics-text.mjs';
import { ROOT, RULES_FILE } from './lib/paths.mjs';
import { PrometheusApi, waitFor } from './lib/prometheus-api.mjs';
import { prometheusBinary, serverDll, startPrometheus, startServer } from './lib/processes.mjs';
import { loadRules } from './lib/rules.mjs';

const JOB = 'adadiff';
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

function nodeClient() {
  const dir = path.join(ROOT, 'clients', 'node');
  if (!fs.existsSync(path.join(dir, 'node_modules', '@grpc', 'grpc-js'))) {
    throw new Error('clients/node/node_modules is missing: run npm ci in clients/node (scripts/setup.sh does)');
  }
  return createRequire(import.meta.url)(path.join(dir, 'src'));
}

/** Runs one Generate call to its end; resolves to the result event's stats. */
async function generate(client, options) {
  let result;
  for await (const event of client.generate({ timeoutMs: 120000, ...options })) {
    if (event.type === 'result') result = event;
  }
  assert.ok(result, `no result for ${JSON.stringify(options)}`);
  return result.stats;
}

/** Runs a Generate call that must fail with `code`. */
async function generateFails(client, options, code) {
  await assert.rejects(generate(client, options), (e) => {
    assert.equal(e.code, code, `${JSON.stringify(options)} failed with ${e.code} (${e.details}), not ${code}`);
    return true;
  });
}

const ratioOf = (calls) => 1 - calls.reduce((s, c) => s + c.layersExecuted, 0) / calls.reduce((s, c) => s + c.layersFull, 0);
const finite = (result) => result.some((r) => Number.isFinite(r.value));

describe('a real Prometheus scraping the real server', () => {
  const rules = loadRules();
  const dashboard = loadDashboard();
  let dir;
  let server;
  let prometheus;
  let client;
  let api;
  let model;
  let backend;
  const warmup = [];
  const measured = [];
  let first; // Prometheus's first sample of the counters: { time, executed, full }
  let last; // its sample of the final values

  before(async () => {
    // Everything the test needs is checked before anything starts.
    prometheusBinary();
    serverDll();
    const { AdaDiffClient } = nodeClient();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adadiff-prometheus-'));
    server = await startServer();
    client = new AdaDiffClient(server.grpcTarget, { maxAttempts: 1 });
    const [served] = await client.listModels();
    model = served.name;

    // Warm-up before Prometheus starts: creates every series, failures by code included.
    warmup.push(await generate(client, { numImages: 4, steps: 10, classLabel: 2, seed: 11 }));
    await generateFails(client, { numImages: 200, steps: 10 }, INVALID_ARGUMENT);
    await generateFails(client, { model: 'no-such-model', steps: 10 }, NOT_FOUND);
    const warm = await scrape(server.metricsUrl);
    backend = warm.find((s) => s.name === 'adadiff_layers_full_total').labels.backend;

    prometheus = await startPrometheus({ target: `127.0.0.1:${server.httpPort}`, job: JOB, ruleFiles: [RULES_FILE], dir });
    api = new PrometheusApi(prometheus.url);
    first = await waitFor(async () => {
      const executed = await api.total('adadiff_layers_executed_total');
      const full = await api.total('adadiff_layers_full_total');
      return !executed.empty && !full.empty && { time: full.time, executed: executed.value, full: full.value };
    }, 'first scrape of the server', 30000);
    assert.equal(first.full, sumOf(warm, 'adadiff_layers_full_total'), 'the first sample holds the warm-up');

    // The measured calls: two adaptive generations at once (batched together), one at full depth,
    // one invalid request.
    measured.push(...await Promise.all([
      generate(client, { numImages: 3, steps: 12, classLabel: 1, seed: 21 }),
      generate(client, { numImages: 2, steps: 12, classLabel: 7, seed: 22 }),
    ]));
    measured.push(await generate(client, { numImages: 2, steps: 10, classLabel: 5, seed: 23, exitMode: 'full' }));
    await generateFails(client, { numImages: 200, steps: 10 }, INVALID_ARGUMENT);

    // Wait until Prometheus has scraped the final values, then until every rule group has been
    // evaluated after that scrape.
    const final = await scrape(server.metricsUrl);
    const want = { full: sumOf(final, 'adadiff_layers_full_total'), requests: sumOf(final, 'adadiff_requests_total') };
    // The span after which no compared counter extrapolates to its zero point (scrapes 1 s apart).
    let span = 0;
    for (const sample of final.filter((f) => /^adadiff_(layers_(executed|full)|requests)_total$/.test(f.name))) {
      const start = warm.find((w) => w.name === sample.name && JSON.stringify(w.labels) === JSON.stringify(sample.labels));
      assert.ok(start && start.value > 0, `${sample.name}${JSON.stringify(sample.labels)} was not created by the warm-up`);
      span = Math.max(span, 2 * ((sample.value - start.value) / start.value));
    }
    last = await waitFor(async () => {
      const full = await api.total('adadiff_layers_full_total');
      const requests = await api.total('adadiff_requests_total');
      const executed = await api.total('adadiff_layers_executed_total');
      return full.value === want.full && requests.value === want.requests && { time: Math.min(full.time, requests.time), executed: executed.value, full: full.value };
    }, 'scrape of the final counter values', 20000);
    await waitFor(async () => {
      const groups = await api.ruleGroups();
      const after = Math.max(last.time, first.time + span) + 0.001;
      return groups.length === rules.groups.length && groups.every((g) => Date.parse(g.lastEvaluation) / 1000 > after);
    }, `rule evaluation after the last scrape and ${span.toFixed(1)} s of samples`, 30000 + span * 1000);
  }, { timeout: 110000 });

  after(async () => {
    client?.close();
    await prometheus?.stop();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Prometheus scrapes the server and loads the rules', async () => {
    const targets = await api.targets();
    assert.equal(targets.length, 1);
    assert.equal(targets[0].health, 'up', targets[0].lastError);
    const groups = await api.ruleGroups();
    assert.deepEqual(groups.map((g) => g.name).sort(), rules.groups.map((g) => g.name).sort());
    assert.equal(groups.flatMap((g) => g.rules).length, rules.recording.length + rules.alerts.length);
  });

  test('every rule evaluates without error', async () => {
    for (const group of await api.ruleGroups()) {
      for (const rule of group.rules) {
        assert.equal(rule.health, 'ok', `${group.name}/${rule.name}: ${rule.health} ${rule.lastError ?? ''}`);
      }
    }
  });

  test('the counters grew by exactly what the calls report', () => {
    assert.equal(last.executed - first.executed, measured.reduce((s, c) => s + c.layersExecuted, 0), 'layers executed');
    assert.equal(last.full - first.full, measured.reduce((s, c) => s + c.layersFull, 0), 'layers full');
  });

  test('every recording rule returns a value', async (t) => {
    for (const { record } of rules.recording) {
      await t.test(record, async () => {
        const result = await api.query(record);
        assert.ok(result.length > 0, `${record} returned nothing`);
        assert.ok(result.every((r) => Number.isFinite(r.value)), `${record}: ${JSON.stringify(result)}`);
        const level = record.split(':')[0].split('_');
        if (level.includes('model')) assert.ok(result.some((r) => r.metric.model === model), `${record}: no series for ${model}`);
        if (level.includes('job')) assert.ok(result.some((r) => r.metric.job === JOB), `${record}: no series for job ${JOB}`);
      });
    }
  });

  test('the recorded acceleration ratio equals the one from the calls\' stats (within 1%)', async (t) => {
    const expected = ratioOf(measured);
    assert.ok(expected > 0.05 && expected < 0.95, `the calls mix adaptive and full depth: ${expected}`);
    const series = { model, backend };
    for (const record of ['model_backend:adadiff_acceleration_ratio:rate5m', 'model_backend:adadiff_acceleration_ratio:rate1d']) {
      const [recorded] = await api.query(`${record}{model="${model}",backend="${backend}"}`);
      assert.ok(recorded, `${record}: no value for ${JSON.stringify(series)}`);
      t.diagnostic(`${record} = ${recorded.value.toFixed(6)}; calls' stats: 1 - Σexecuted/Σfull = ${expected.toFixed(6)} ` +
        `(${measured.map((c) => `${c.layersExecuted}/${c.layersFull}`).join(', ')}; with the warm-up ${ratioOf([...warmup, ...measured]).toFixed(6)})`);
      assert.ok(Math.abs(recorded.value - expected) <= 0.01 * expected, `${record} = ${recorded.value}, calls' stats say ${expected}`);
    }
    // The dashboard's own query over the time range agrees as well.
    const stat = queries(dashboard).find(({ panel }) => panel.title === 'Acceleration ratio (time range)');
    const [range] = await api.query(substitute(stat.target.expr, { model, backend, __range: '10m' }));
    assert.ok(Math.abs(range.value - expected) <= 0.01 * expected, `'${stat.panel.title}' = ${range.value}, calls' stats say ${expected}`);
  });

  test('the failed call shows in the error series: 1 of 4 calls', async () => {
    const [job] = await api.query(`job:adadiff_request_errors:ratio_rate5m{job="${JOB}"}`);
    assert.ok(Math.abs(job.value - 0.25) < 0.0025, `job error ratio ${job.value}`);
    const [perModel] = await api.query(`model_backend:adadiff_request_errors:ratio_rate5m{model="${model}"}`);
    assert.ok(Math.abs(perModel.value - 0.25) < 0.0025, `${model} error ratio ${perModel.value}`);
    const codes = await api.query('model_backend_code:adadiff_requests:rate5m');
    assert.deepEqual(codes.map((r) => `${r.metric.model}/${r.metric.code}`).sort(), [`${model}/INVALID_ARGUMENT`, `${model}/OK`, '(none)/NOT_FOUND'].sort());
    // 25% is over the warning threshold: the alert is pending (it fires after 10 minutes).
    const alerts = await waitFor(async () => {
      const list = (await api.get('/api/v1/alerts')).alerts;
      return list.length > 0 && list;
    }, 'a pending alert', 10000);
    assert.deepEqual(alerts.map((a) => `${a.labels.alertname}/${a.labels.severity}/${a.labels.job}/${a.state}`), [`AdaDiffErrorRateHigh/warning/${JOB}/pending`]);
  });

  test('the template variables list the served model and its backend', async () => {
    const byName = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    for (const [name, value, vars] of [['model', model, {}], ['backend', backend, { model }]]) {
      const m = /^label_values\((.+), (\w+)\)$/.exec(byName[name].query);
      const values = await api.labelValues(m[2], substitute(m[1], vars));
      assert.ok(values.includes(value), `${byName[name].query}: ${JSON.stringify(values)} lacks ${value}`);
    }
  });

  test('every dashboard query returns data', async (t) => {
    const values = { model, backend, __rate_interval: '1m', __range: '10m' };
    for (const { panel, target } of queries(dashboard)) {
      await t.test(`${panel.title} [${target.refId}] ${target.legendFormat}`, async () => {
        const expr = substitute(target.expr, values);
        const result = await api.query(expr);
        assert.ok(result.length > 0, `'${panel.title}' query returned nothing: ${expr}`);
        assert.ok(finite(result), `'${panel.title}' query returned no number: ${expr} -> ${JSON.stringify(result)}`);
      });
    }
  });
});
