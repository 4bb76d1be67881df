// A small client of the Prometheus HTTP API (instant queries, rules, label values).

export class PrometheusApi {
  /** @param {string} url e.g. http://127.0.0.1:9090 */
  constructor(url) {
    this.url = url;
  }

  async get(pathAndQuery) {
    const response = await fetch(`${this.url}${pathAndQuery}`);
    const body = await response.json();
    if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${response.status} ${body.errorType}: ${body.error}`);
    return body.data;
  }

  /**
   * Instant query; resolves to the result vector as [{ metric, value: number, time: seconds }]
   * (a scalar comes back as one element without labels).
   */
  async query(expr, time) {
    const params = new URLSearchParams({ query: expr });
    if (time !== undefined) params.set('time', String(time));
    const data = await this.get(`/api/v1/query?${params}`);
    if (data.resultType === 'scalar') return [{ metric: {}, time: data.result[0], value: Number(data.result[1]) }];
    if (data.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${data.resultType}`);
    return data.result.map((r) => ({ metric: r.metric, time: r.value[0], value: Number(r.value[1]) }));
  }

  /** The sum of an instant query's values (0 for an empty result), with its newest sample time. */
  async total(expr, time) {
    const result = await this.query(expr, time);
    return { value: result.reduce((s, r) => s + r.value, 0), time: Math.max(...result.map((r) => r.time)), empty: !result.length };
  }

  /** Rule groups with each rule's health, last error and evaluation time. */
  async ruleGroups() {
    return (await this.get('/api/v1/rules')).groups;
  }

  /** label_values(match, label) as Grafana's variable query asks it. */
  async labelValues(label, match) {
    const params = new URLSearchParams();
    if (match) params.append('match[]', match);
    return this.get(`/api/v1/label/${encodeURIComponent(label)}/values?${params}`);
  }

  /** Scrape targets (active), with health and last error. */
  async targets() {
    return (await this.get('/api/v1/targets?state=active')).activeTargets;
  }
}

/** Polls `probe` every 250 ms until it returns a truthy value, which it resolves to. */
export async function waitFor(probe, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`no ${what} after ${timeoutMs / 1000} s${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
