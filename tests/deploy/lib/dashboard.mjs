// Reads helm/adadiff/files/dashboard.json: its panels, their queries, and the queries with the
// dashboard's template variables replaced as Grafana would before sending them to Prometheus.
import fs from 'node:fs';
import { DASHBOARD_FILE } from './paths.mjs';

export function loadDashboard() {
  return JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8'));
}

/** The panels that show data (rows left out), nested row panels included. */
export function dataPanels(dashboard) {
  const all = [];
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === 'row') all.push(...(panel.panels ?? []));
    else all.push(panel);
  }
  return all;
}

/** Every panel of the dashboard, rows and their nested panels included. */
export function allPanels(dashboard) {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...(p.type === 'row' ? p.panels ?? [] : [])]);
}

/** [{ panel, target }] for every query of every data panel. */
export function queries(dashboard) {
  return dataPanels(dashboard).flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
}

/**
 * Replaces Grafana's variables in a query: `$name`, `${name}` and `[[name]]` from `values`, and the
 * built-in $__rate_interval, $__interval and $__range (with their _ms/_s forms left unsupported:
 * the dashboard does not use them). Throws on a variable left unreplaced.
 */
export function substitute(expr, values) {
  const builtIn = { __rate_interval: values.__rate_interval ?? '1m', __interval: values.__interval ?? '15s', __range: values.__range ?? '1h' };
  const all = { ...values, ...builtIn };
  const out = expr.replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (match, a, b, c) => {
    const name = a ?? b ?? c;
    if (!(name in all)) throw new Error(`unknown variable ${match} in ${expr}`);
    return all[name];
  });
  return out;
}
