// Tests of the Prometheus rules helm/adadiff/files/prometheus-rules.yaml: promtool checks the file
// and runs its unit tests (prometheus-rules.test.yaml); the names, labels and annotations follow
// the conventions operators rely on; the unit tests cover every recording rule and every alert,
// firing and not firing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { CHART_FILES, OBSERVABILITY_DOC, RULES_FILE, RULES_TEST_FILE } from './lib/paths.mjs';
import { which } from './lib/processes.mjs';
import { loadRules, loadRuleTests } from './lib/rules.mjs';

function promtool(...args) {
  if (!which('promtool')) assert.fail("promtool is not installed: install Debian's 'prometheus' package (apt-get install prometheus; scripts/setup.sh does)");
  const run = spawnSync('promtool', args, { cwd: CHART_FILES, encoding: 'utf8', timeout: 120000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const { groups, recording, alerts } = loadRules();
const ruleTests = loadRuleTests();

/** Label names of every `by (...)` clause of an expression. */
function byClauses(expr) {
  return [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].map((m) => m[1].split(',').map((s) => s.trim()).filter(Boolean));
}

describe('prometheus-rules.yaml', () => {
  test('promtool check rules passes', () => {
    const { status, output } = promtool('check', 'rules', path.basename(RULES_FILE));
    assert.equal(status, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${recording.length + alerts.length} rules found`), output);
  });

  test('promtool test rules passes (prometheus-rules.test.yaml)', () => {
    const { status, output } = promtool('test', 'rules', path.basename(RULES_TEST_FILE));
    assert.equal(status, 0, output);
    assert.match(output, /SUCCESS/, output);
  });

  test('one group of recording rules and one of alerts, unique names', () => {
    assert.deepEqual(groups.map((g) => g.name), ['adadiff.recording', 'adadiff.alerts']);
    assert.ok(groups[0].rules.every((r) => r.record), 'adadiff.recording holds recording rules only');
    assert.ok(groups[1].rules.every((r) => r.alert), 'adadiff.alerts holds alerts only');
    const names = recording.map((r) => r.record);
    assert.equal(new Set(names).size, names.length, `duplicate recording rules: ${names}`);
    // An alert name may repeat only with another severity (warning and critical thresholds).
    const keys = alerts.map((a) => `${a.alert}/${a.labels?.severity}`);
    assert.equal(new Set(keys).size, keys.length, `an alert repeats with the same severity: ${keys}`);
  });

  test('the recording rules the dashboard and alerts need exist', () => {
    const names = new Set(recording.map((r) => r.record));
    for (const name of [
      'model_backend:adadiff_acceleration_ratio:rate5m',
      'model_backend:adadiff_acceleration_ratio:rate1d',
      'model_backend:adadiff_flops_saved:rate5m',
      'model_backend:adadiff_compute_saved_seconds:rate5m',
      'model_backend:adadiff_images:rate5m',
      'model_backend:adadiff_step_duration_seconds:p50_rate5m',
      'model_backend:adadiff_step_duration_seconds:p99_rate5m',
      'model_backend:adadiff_generation_duration_seconds:p50_rate5m',
      'model_backend:adadiff_generation_duration_seconds:p99_rate5m',
      'model_backend:adadiff_queue_wait_seconds:p50_rate5m',
      'model_backend:adadiff_queue_wait_seconds:p99_rate5m',
      'job:adadiff_request_errors:ratio_rate5m',
    ]) {
      assert.ok(names.has(name), `missing recording rule ${name}`);
    }
    const alertNames = new Set(alerts.map((a) => a.alert));
    for (const name of ['AdaDiffAccelerationCollapsed', 'AdaDiffQueueSaturated', 'AdaDiffQueueWaitHigh', 'AdaDiffErrorRateHigh', 'AdaDiffNoTraffic']) {
      assert.ok(alertNames.has(name), `missing alert ${name}`);
    }
  });

  test('recording rule names are level:metric:operations, the level naming the labels kept', () => {
    const levels = new Map(recording.map((r) => [r.record, r.record.split(':')[0]]));
    for (const { record, expr } of recording) {
      assert.match(record, /^[a-z][a-z_]*:adadiff_[a-z0-9_]+:[a-z0-9_]+$/, `${record} is not level:metric:operations`);
      const [level, metric] = record.split(':');
      assert.ok(!metric.endsWith('_total'), `${record}: a rate drops _total from the metric name`);
      const labels = level.split('_').sort();
      const clauses = byClauses(expr);
      for (const by of clauses) {
        const kept = by.filter((l) => l !== 'le').sort(); // histogram_quantile consumes le
        assert.deepEqual(kept, labels, `${record}: aggregates by (${by}) but its level says ${level}`);
      }
      // Rules built on other recorded series keep those series' level.
      const used = [...expr.matchAll(/\b([a-z_]+:adadiff_[a-z0-9_]+:[a-z0-9_]+)\b/g)].map((m) => m[1]);
      for (const name of used) {
        assert.ok(levels.has(name), `${record} uses ${name}, which no rule records`);
        assert.equal(levels.get(name), level, `${record} (level ${level}) is computed from ${name}`);
      }
      assert.ok(clauses.length || used.length, `${record} neither aggregates nor uses a recorded series`);
    }
  });

  test('every alert has a severity, a for duration and summary and description annotations', () => {
    for (const alert of alerts) {
      const name = `${alert.alert} (${alert.labels?.severity})`;
      assert.match(alert.alert, /^AdaDiff[A-Z][A-Za-z]+$/, `${alert.alert}: alert names are AdaDiff<CamelCase>`);
      assert.ok(['critical', 'warning', 'info'].includes(alert.labels?.severity), `${name}: severity must be critical, warning or info`);
      assert.match(String(alert.for ?? ''), /^\d+[smh]$/, `${name}: no 'for' duration`);
      for (const key of ['summary', 'description']) {
        const text = alert.annotations?.[key];
        assert.ok(typeof text === 'string' && text.trim().length > 20, `${name}: annotation ${key} is missing or empty`);
      }
      assert.ok(!alert.annotations.summary.includes('\n'), `${name}: the summary is one line`);
    }
  });

  test('the unit tests cover every recording rule, and every alert firing and not firing', () => {
    const tests = ruleTests.tests ?? [];
    assert.deepEqual(ruleTests.rule_files, ['prometheus-rules.yaml']);
    assert.deepEqual(ruleTests.group_eval_order, groups.map((g) => g.name), 'recording rules are evaluated before the alerts');
    const exprTests = tests.flatMap((t) => t.promql_expr_test ?? []);
    for (const { record } of recording) {
      const pattern = new RegExp(`(^|[^a-z_:])${record.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z0-9_:])`);
      const checks = exprTests.filter((e) => pattern.test(e.expr) && (e.exp_samples ?? []).length > 0);
      assert.ok(checks.length > 0, `no promql_expr_test checks a value of ${record}`);
    }
    const alertTests = tests.flatMap((t) => (t.alert_rule_test ?? []).map((a) => ({ ...a, test: t.name })));
    for (const alert of alerts) {
      const own = alertTests.filter((a) => a.alertname === alert.alert);
      const firing = own.filter((a) => (a.exp_alerts ?? []).some((e) => e.exp_labels?.severity === alert.labels.severity));
      assert.ok(firing.length > 0, `no alert_rule_test expects ${alert.alert} (${alert.labels.severity}) to fire`);
      assert.ok(firing.every((a) => a.exp_alerts.every((e) => e.exp_annotations?.summary && e.exp_annotations?.description)),
        `${alert.alert}: tests that expect it to fire must check its rendered summary and description`);
      assert.ok(own.some((a) => (a.exp_alerts ?? []).length === 0), `no alert_rule_test expects ${alert.alert} not to fire`);
    }
    for (const a of alertTests) {
      assert.ok(alerts.some((r) => r.alert === a.alertname), `test '${a.test}' checks an alert the rules do not have: ${a.alertname}`);
    }
  });

  test('docs/observability.md describes every recording rule and alert', () => {
    const doc = fs.readFileSync(OBSERVABILITY_DOC, 'utf8');
    for (const { record, expr } of recording) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${record}\` |`));
      assert.ok(row, `the recording-rule table lacks ${record}`);
      assert.ok(row.replaceAll('\\|', '|').includes(expr.trim().replace(/\s+/g, ' ')), `the doc shows another expression for ${record}`);
    }
    for (const alert of alerts) {
      assert.ok(doc.includes(`| \`${alert.alert}\` | ${alert.labels.severity} |`), `the alert table lacks ${alert.alert} (${alert.labels.severity})`);
    }
  });
});
