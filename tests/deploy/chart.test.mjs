// Tests of the Helm chart helm/adadiff. No helm binary and no cluster are at hand, so the chart is
// rendered with ../shared/tools/chart-render (Go text/template + sprig, like `helm template`, with
// --strict failing on missing keys), every rendered object is checked against the Kubernetes (and
// Prometheus Operator) schemas of kubernetes-models, and the behaviour the server relies on is
// asserted on the rendered objects: probes, drain, security, GPU, credentials, model volume, names.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const chartDir = path.join(repoRoot, 'helm', 'adadiff');
const ciDir = path.join(chartDir, 'ci');
const gpuValues = path.join(ciDir, 'gpu-values.yaml');
const allOnValues = path.join(ciDir, 'all-on-values.yaml');
const namespace = 'adadiff';

// The schemas of the only kinds the chart may render; anything else fails the test.
const models = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

// The TypeScript interfaces of the same kinds: assigning a rendered object to one as a literal
// makes tsc reject any field the kind does not have (the JSON schemas above allow unknown fields).
const interfaces = {
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'v1/ServiceAccount': ['kubernetes-models/v1/ServiceAccount', 'IServiceAccount'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1/PodDisruptionBudget', 'IPodDisruptionBudget'],
  'autoscaling/v2/HorizontalPodAutoscaler': ['kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler', 'IHorizontalPodAutoscaler'],
  'monitoring.coreos.com/v1/ServiceMonitor': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor', 'IServiceMonitor'],
  'monitoring.coreos.com/v1/PrometheusRule': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule', 'IPrometheusRule'],
};

// ---- tools ---------------------------------------------------------------------------------

const chartRenderPackages = 'golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev';

/** The chart-render script, or an error naming what to install (the test fails, never skips). */
const chartRender = (() => {
  let tool = path.resolve(repoRoot, '..', 'shared', 'tools', 'chart-render');
  if (fs.existsSync(tool) && fs.statSync(tool).isDirectory()) tool = path.join(tool, 'chart-render');
  const problems = [];
  if (!fs.existsSync(tool)) problems.push(`${tool} is missing (it ships beside the repository in ../shared/tools)`);
  const goPackages = ['/usr/share/gocode/src/github.com/Masterminds/sprig', '/usr/share/gocode/src/sigs.k8s.io/yaml'];
  if (!onPath('go') || goPackages.some((p) => !fs.existsSync(p))) {
    problems.push(`chart-render builds itself with Go: install the Debian packages ${chartRenderPackages} (scripts/setup.sh does)`);
  }
  return { tool, problem: problems.join('; ') };
})();

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

/** Renders a chart; returns the exit status and output. */
function run({ chart = chartDir, name = 'adadiff', files = [], set = [] } = {}) {
  if (chartRender.problem) assert.fail(chartRender.problem);
  const args = ['--strict', '--name', name, '--namespace', namespace];
  for (const f of files) args.push('-f', f);
  for (const s of set) args.push('--set', s);
  args.push(chart);
  const r = spawnSync(chartRender.tool, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.error) assert.fail(`chart-render did not run: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cache = new Map();
/** Renders and parses every document; fails on a render error. Cached per arguments. */
function render(opts = {}) {
  const key = JSON.stringify(opts);
  if (!cache.has(key)) {
    const r = run(opts);
    assert.equal(r.status, 0, `chart-render ${key} failed:\n${r.stderr}`);
    const docs = [];
    for (const chunk of r.stdout.split(/^---$/m)) {
      const source = /^# Source: (.*)$/m.exec(chunk)?.[1];
      const obj = yaml.load(chunk);
      if (obj != null) docs.push({ source, obj });
    }
    cache.set(key, docs);
  }
  return cache.get(key);
}

const defaults = () => render();
const gpu = () => render({ files: [gpuValues] });
const allOn = () => render({ files: [allOnValues] });
const pvc = () => render({ set: ['model.source=pvc', 'model.pvc.claimName=adadiff-models'] });
const renders = () => ({ defaults: defaults(), gpu: gpu(), 'all-on': allOn(), pvc: pvc() });

// ---- accessors -----------------------------------------------------------------------------

const objects = (docs, kind) => docs.map((d) => d.obj).filter((o) => o.kind === kind);
function one(docs, kind, pred = () => true) {
  const found = objects(docs, kind).filter(pred);
  assert.equal(found.length, 1, `expected one ${kind}, found ${found.length}`);
  return found[0];
}
const deployment = (docs) => one(docs, 'Deployment');
const pod = (docs) => deployment(docs).spec.template.spec;
const server = (docs) => pod(docs).containers.find((c) => c.name === 'server');
const mainService = (docs) => one(docs, 'Service', (s) => s.spec.clusterIP !== 'None');
const headless = (docs) => objects(docs, 'Service').find((s) => s.spec.clusterIP === 'None');
const port = (container, name) => container.ports.find((p) => p.name === name);

/** The server's environment as the kubelet builds it: envFrom ConfigMaps, then env over them. */
function env(docs) {
  const c = server(docs);
  const out = {};
  for (const from of c.envFrom ?? []) {
    const cm = one(docs, 'ConfigMap', (m) => m.metadata.name === from.configMapRef.name);
    Object.assign(out, cm.data);
  }
  for (const e of c.env ?? []) out[e.name] = e.value;
  return out;
}

function mountOf(container, mountPath) {
  return (container.volumeMounts ?? []).find((m) => m.mountPath === mountPath);
}
const volume = (docs, name) => (pod(docs).volumes ?? []).find((v) => v.name === name);

// ---- schema validity -----------------------------------------------------------------------

describe('rendered objects', () => {
  test('every rendered object validates against the schema of its apiVersion and kind', () => {
    for (const [label, docs] of Object.entries(renders())) {
      assert.ok(docs.length > 0, `${label}: nothing rendered`);
      for (const { source, obj } of docs) {
        const key = `${obj.apiVersion}/${obj.kind}`;
        const Model = models[key];
        assert.ok(Model, `${label}: ${source} renders ${key}, which has no schema in this test`);
        try {
          new Model(obj).validate();
        } catch (e) {
          assert.fail(`${label}: ${source} (${key} ${obj.metadata?.name}) is invalid: ${e.message}`);
        }
        const elsewhere = obj.kind === 'ServiceMonitor' || obj.metadata.labels?.grafana_dashboard;
        if (!(label === 'all-on' && elsewhere)) assert.equal(obj.metadata.namespace, namespace, `${label}: ${source} namespace`);
      }
    }
  });

  test('no rendered object has a field its kind lacks (TypeScript excess-property check)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adadiff-chart-types-'));
    try {
      const imports = new Set();
      const consts = [];
      for (const [label, docs] of Object.entries(renders())) {
        docs.forEach(({ source, obj }, k) => {
          const [module, type] = interfaces[`${obj.apiVersion}/${obj.kind}`] ?? assert.fail(`${label}: ${source} renders ${obj.apiVersion}/${obj.kind}`);
          imports.add(`import type { ${type} } from ${JSON.stringify(module)};`);
          consts.push(`// ${label}: ${source}\nexport const doc_${consts.length}_${k}: ${type} = ${JSON.stringify(obj, null, 2)};`);
        });
      }
      fs.writeFileSync(path.join(dir, 'rendered.ts'), `${[...imports].join('\n')}\n${consts.join('\n')}\n`);
      const nodeModules = path.join(here, 'node_modules');
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, module: 'commonjs', moduleResolution: 'node10',
          ignoreDeprecations: '5.0', baseUrl: '.', paths: { '*': [`${nodeModules}/*`] }, types: [] },
        files: ['rendered.ts'],
      }));
      const tsc = path.join(nodeModules, 'typescript', 'bin', 'tsc');
      const r = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      const lines = fs.readFileSync(path.join(dir, 'rendered.ts'), 'utf8').split('\n');
      // Name the rendered document each error is in.
      const explained = r.stdout.replace(/rendered\.ts\((\d+),\d+\)/g, (m, line) => {
        for (let i = Number(line) - 1; i >= 0; i--) if (lines[i].startsWith('// ')) return `${m} [${lines[i].slice(3)}]`;
        return m;
      });
      assert.equal(r.status, 0, `tsc:\n${explained}${r.stderr}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the default values render the core objects and none of the optional ones', () => {
    const docs = defaults();
    const kinds = docs.map((d) => d.obj.kind).sort();
    assert.deepEqual(kinds, ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceAccount']);
    for (const kind of ['HorizontalPodAutoscaler', 'ServiceMonitor', 'PrometheusRule']) {
      assert.equal(objects(docs, kind).length, 0, `${kind} rendered by default`);
    }
    assert.ok(!objects(docs, 'ConfigMap').some((c) => c.metadata.labels?.grafana_dashboard), 'dashboard ConfigMap rendered by default');
    assert.equal(deployment(docs).spec.replicas, 1);
    assert.equal(server(docs).image, 'adadiff/server:0.1.0', 'the image tag defaults to the chart appVersion');
    assert.ok(!JSON.stringify(docs).includes('nvidia.com/gpu'), 'the default render asks for a GPU');
    assert.equal(env(docs).ADADIFF__EXECUTIONPROVIDER, 'cpu');
    assert.equal(env(docs).ADADIFF__BINDADDRESS, '0.0.0.0');
  });

  test('the all-on values render the HPA, ServiceMonitor, PrometheusRule and dashboard', () => {
    const docs = allOn();
    const name = deployment(docs).metadata.name;
    assert.equal(deployment(docs).spec.replicas, undefined, 'with an HPA the Deployment must not set replicas');

    const hpa = one(docs, 'HorizontalPodAutoscaler');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name });
    assert.equal(hpa.spec.minReplicas, 2);
    assert.equal(hpa.spec.maxReplicas, 8);
    const cpu = hpa.spec.metrics.find((m) => m.type === 'Resource');
    assert.equal(cpu.resource.name, 'cpu');
    assert.equal(cpu.resource.target.averageUtilization, 75);
    const podMetrics = hpa.spec.metrics.filter((m) => m.type === 'Pods').map((m) => [m.pods.metric.name, m.pods.target.averageValue]);
    assert.deepEqual(podMetrics, [['adadiff_queue_depth', '4'], ['adadiff_queue_wait_seconds', '500m']]);

    const sm = one(docs, 'ServiceMonitor');
    assert.equal(sm.metadata.namespace, 'monitoring');
    assert.equal(sm.metadata.labels.release, 'kube-prometheus-stack');
    assert.deepEqual(sm.spec.namespaceSelector, { matchNames: [namespace] });
    assert.deepEqual(sm.spec.endpoints.map((e) => [e.port, e.path]), [['metrics', '/metrics']]);
    // Exactly one Service is scraped: it is selected and it has the metrics port (the headless one has not).
    const selected = objects(docs, 'Service').filter((s) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels[k] === v));
    const scraped = selected.filter((s) => s.spec.ports.some((p) => p.name === 'metrics'));
    assert.deepEqual(scraped.map((s) => s.metadata.name), [mainService(docs).metadata.name]);
    assert.equal(port(server(docs), 'metrics').containerPort, 9464);

    const rule = one(docs, 'PrometheusRule');
    assert.equal(rule.metadata.labels.release, 'kube-prometheus-stack');
    const rulesFile = yaml.load(fs.readFileSync(path.join(chartDir, 'files', 'prometheus-rules.yaml'), 'utf8'));
    assert.ok(rulesFile.groups?.length > 0, 'files/prometheus-rules.yaml has no groups');
    assert.deepEqual(rule.spec.groups, rulesFile.groups, 'the PrometheusRule must carry the rules file unchanged ({{ $labels }} templates included)');

    const dashboards = objects(docs, 'ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard === '1');
    assert.equal(dashboards.length, 1, 'one ConfigMap labelled grafana_dashboard: "1"');
    const [dash] = dashboards;
    assert.equal(dash.metadata.namespace, 'monitoring');
    assert.equal(dash.metadata.annotations.grafana_folder, 'AdaDiff');
    const dashboardFile = JSON.parse(fs.readFileSync(path.join(chartDir, 'files', 'dashboard.json'), 'utf8'));
    assert.deepEqual(Object.keys(dash.data), ['adadiff.json']);
    assert.deepEqual(JSON.parse(dash.data['adadiff.json']), dashboardFile);

    const pdb = one(docs, 'PodDisruptionBudget');
    assert.equal(pdb.spec.minAvailable, 1);
    assert.equal(pdb.spec.maxUnavailable, undefined);
  });

  test('the HPA refuses to render without a metric', () => {
    const r = run({ set: ['autoscaling.enabled=true', 'autoscaling.targetCPUUtilizationPercentage=0'] });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /autoscaling\.enabled needs a metric/);
  });

  test('every selector selects the pods', () => {
    for (const [label, docs] of Object.entries(renders())) {
      const podLabels = deployment(docs).spec.template.metadata.labels;
      const matches = (sel) => Object.entries(sel).every(([k, v]) => podLabels[k] === v);
      assert.ok(matches(deployment(docs).spec.selector.matchLabels), `${label}: Deployment selector`);
      for (const s of objects(docs, 'Service')) assert.ok(matches(s.spec.selector), `${label}: Service ${s.metadata.name}`);
      for (const p of objects(docs, 'PodDisruptionBudget')) assert.ok(matches(p.spec.selector.matchLabels), `${label}: PDB`);
    }
  });
});

// ---- the pod -------------------------------------------------------------------------------

describe('the pod', () => {
  test('runs as uid 10001, non-root, on a read-only root filesystem with every capability dropped', () => {
    for (const [label, docs] of Object.entries(renders())) {
      const spec = pod(docs);
      assert.equal(spec.securityContext.runAsNonRoot, true, label);
      assert.equal(spec.securityContext.runAsUser, 10001, label);
      assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault', label);
      assert.equal(spec.automountServiceAccountToken, false, `${label}: no service account token`);
      const containers = [...spec.containers, ...(spec.initContainers ?? [])];
      if (label === 'all-on') assert.equal(containers.length, 2, 'all-on has the model init container');
      for (const c of containers) {
        const sc = c.securityContext;
        const where = `${label}: container ${c.name}`;
        assert.equal(sc.runAsNonRoot, true, where);
        assert.equal(sc.runAsUser, 10001, where);
        assert.equal(sc.readOnlyRootFilesystem, true, where);
        assert.equal(sc.allowPrivilegeEscalation, false, where);
        assert.deepEqual(sc.capabilities.drop, ['ALL'], where);
        assert.equal(sc.capabilities.add, undefined, where);
        assert.equal(sc.seccompProfile.type, 'RuntimeDefault', where);
        assert.notEqual(sc.privileged, true, where);
      }
      const tmp = mountOf(server(docs), '/tmp');
      assert.ok(tmp, `${label}: /tmp is mounted`);
      assert.ok(volume(docs, tmp.name).emptyDir, `${label}: /tmp is an emptyDir`);
    }
  });

  test('every volume mount names a volume of the pod', () => {
    for (const [label, docs] of Object.entries(renders())) {
      const spec = pod(docs);
      const names = new Set((spec.volumes ?? []).map((v) => v.name));
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        for (const m of c.volumeMounts ?? []) assert.ok(names.has(m.name), `${label}: ${c.name} mounts missing volume ${m.name}`);
      }
    }
  });

  test('named ports grpc 50051 and metrics 9464 on the container and both Services', () => {
    const docs = defaults();
    assert.equal(port(server(docs), 'grpc').containerPort, 50051);
    assert.equal(port(server(docs), 'metrics').containerPort, 9464);
    assert.deepEqual(mainService(docs).spec.ports.map((p) => [p.name, p.port, p.targetPort]), [['grpc', 50051, 'grpc'], ['metrics', 9464, 'metrics']]);
    const h = headless(docs);
    assert.ok(h, 'a headless Service by default');
    assert.equal(h.metadata.name, 'adadiff-headless');
    assert.deepEqual(h.spec.ports.map((p) => [p.name, p.port, p.targetPort]), [['grpc', 50051, 'grpc']]);
    assert.equal(env(docs).ADADIFF__GRPCPORT, '50051');
    assert.equal(env(docs).ADADIFF__HTTPPORT, '9464');
    assert.equal(headless(render({ set: ['service.headless.enabled=false'] })), undefined);
  });

  test('the startup probe waits minutes for the models on /readyz of the metrics port', () => {
    for (const [label, docs] of Object.entries(renders())) {
      const p = server(docs).startupProbe;
      // With TLS the server serves HTTPS on the metrics port too (all-on turns TLS on).
      const scheme = label === 'all-on' ? { scheme: 'HTTPS' } : {};
      assert.deepEqual(p.httpGet, { path: '/readyz', port: 'metrics', ...scheme }, label);
      assert.ok(p.periodSeconds * p.failureThreshold >= 300, `${label}: startup allows ${p.periodSeconds * p.failureThreshold} s, under 5 minutes`);
    }
    const p = server(gpu()).startupProbe;
    assert.equal(p.periodSeconds * p.failureThreshold, 600, 'the GPU values allow 10 minutes');
  });

  test('readiness asks gRPC health for adadiff.v1.DiffusionService and liveness for the empty service, on the grpc port', () => {
    const docs = defaults();
    const c = server(docs);
    assert.deepEqual(c.readinessProbe.grpc, { port: port(c, 'grpc').containerPort, service: 'adadiff.v1.DiffusionService' });
    assert.deepEqual(c.livenessProbe.grpc, { port: port(c, 'grpc').containerPort, service: '' });
    assert.equal(c.readinessProbe.httpGet, undefined);
    // gRPC probes take a number, not a port name: it must follow the container port.
    const moved = server(render({ set: ['containerPorts.grpc=50052'] }));
    assert.equal(port(moved, 'grpc').containerPort, 50052);
    assert.equal(moved.readinessProbe.grpc.port, 50052);
    assert.equal(moved.livenessProbe.grpc.port, 50052);
    assert.equal(env(render({ set: ['containerPorts.grpc=50052'] })).ADADIFF__GRPCPORT, '50052');
  });

  test('with TLS the probes use HTTPS on the metrics port (the kubelet gRPC probe has no TLS; the server serves TLS on both ports)', () => {
    const c = server(allOn());
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics', scheme: 'HTTPS' });
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics', scheme: 'HTTPS' });
    assert.equal(c.readinessProbe.grpc, undefined);
  });

  test('terminationGracePeriodSeconds is the preStop sleep plus the drain timeout plus the margin', () => {
    const check = (docs, sleep, drain, margin) => {
      const spec = pod(docs);
      assert.equal(spec.terminationGracePeriodSeconds, sleep + drain + margin);
      assert.equal(env(docs).ADADIFF__DRAINTIMEOUTSECONDS, String(drain));
      if (sleep > 0) assert.deepEqual(server(docs).lifecycle.preStop, { sleep: { seconds: sleep } });
      else assert.equal(server(docs).lifecycle, undefined, 'no preStop hook with a 0 s sleep');
    };
    check(defaults(), 5, 30, 10);
    check(render({ set: ['config.drainTimeoutSeconds=120'] }), 5, 120, 10);
    check(render({ set: ['termination.preStopSleepSeconds=0'] }), 0, 30, 10);
    check(render({ set: ['termination.gracePeriodMarginSeconds=3', 'config.drainTimeoutSeconds=7'] }), 5, 7, 3);
    check(allOn(), 10, 60, 15);
  });

  test('the GPU values ask for nvidia.com/gpu, the CUDA provider, the -gpu image and the GPU taint', () => {
    const docs = gpu();
    const c = server(docs);
    assert.equal(c.resources.limits['nvidia.com/gpu'], 1);
    assert.equal(c.resources.limits.cpu, '4');
    assert.equal(env(docs).ADADIFF__EXECUTIONPROVIDER, 'cuda');
    assert.equal(c.image, 'adadiff/server:0.1.0-gpu');
    assert.ok(pod(docs).tolerations.some((t) => t.key === 'nvidia.com/gpu' && t.operator === 'Exists' && t.effect === 'NoSchedule'));
    assert.deepEqual(pod(docs).nodeSelector, { 'nvidia.com/gpu.present': 'true' });
    assert.equal(env(docs).ADADIFF__THREADS, '4');
    // An explicit provider wins over the GPU default; the tag and the GPU limit stay.
    const cpuOnGpu = render({ files: [gpuValues], set: ['config.executionProvider=cpu', 'gpu.count=2'] });
    assert.equal(env(cpuOnGpu).ADADIFF__EXECUTIONPROVIDER, 'cpu');
    assert.equal(server(cpuOnGpu).resources.limits['nvidia.com/gpu'], 2);
    // The user's tolerations are kept beside the GPU one.
    const both = render({ files: [gpuValues, allOnValues] });
    assert.deepEqual(pod(both).tolerations.map((t) => t.key), ['dedicated', 'nvidia.com/gpu']);
  });

  test('ADADIFF__THREADS follows the CPU limit, rounded up, unless config.threads is set', () => {
    const threads = (...set) => env(render({ set })).ADADIFF__THREADS;
    assert.equal(threads(), '2');
    assert.equal(threads('resources.limits.cpu=500m'), '1');
    assert.equal(threads('resources.limits.cpu=1500m'), '2');
    assert.equal(threads('resources.limits.cpu=3'), '3');
    assert.equal(threads('resources.limits.cpu=null'), undefined);
    assert.equal(threads('resources.limits.cpu=null', 'config.threads=6'), '6');
    assert.equal(threads('config.threads=6'), '6');
    assert.equal(server(render({ set: ['resources.limits.cpu=null'] })).resources.limits.cpu, undefined);
  });

  test('options reach the container through the ConfigMap, and a changed option rolls the pods', () => {
    const docs = defaults();
    const cm = one(docs, 'ConfigMap', (c) => c.metadata.name === server(docs).envFrom[0].configMapRef.name);
    assert.equal(cm.data.ADADIFF__MAXQUEUEDJOBS, '64');
    assert.equal(cm.data.ADADIFF__BACKEND, 'onnxruntime');
    assert.equal(cm.data.ADADIFF__CACHEONNXEXPORT, 'false'); // the image's models are read-only
    assert.equal(env(render({ set: ['config.cacheOnnxExport=true'] })).ADADIFF__CACHEONNXEXPORT, 'true');
    for (const [k, v] of Object.entries(cm.data)) assert.equal(typeof v, 'string', `${k} must be a string`);
    const changed = render({ set: ['config.maxQueuedJobs=128'] });
    assert.equal(env(changed).ADADIFF__MAXQUEUEDJOBS, '128');
    const checksum = (d) => deployment(d).spec.template.metadata.annotations['checksum/config'];
    assert.match(checksum(docs), /^[0-9a-f]{64}$/);
    assert.notEqual(checksum(changed), checksum(docs));
    assert.equal(env(allOn()).ADADIFF__Models__mymodel__Backend, 'torchsharp');
    assert.equal(env(allOn()).DOTNET_gcServer, '1');
  });
});

// ---- models and credentials ----------------------------------------------------------------

describe('model volume and credentials', () => {
  test('model.source image uses /app/models from the image and mounts nothing', () => {
    const docs = defaults();
    assert.equal(env(docs).ADADIFF__MODELREPOSITORY, '/app/models');
    assert.equal(volume(docs, 'models'), undefined);
    assert.equal(pod(docs).initContainers, undefined);
  });

  test('model.source pvc mounts the existing claim read-only at /models', () => {
    const docs = pvc();
    assert.equal(env(docs).ADADIFF__MODELREPOSITORY, '/models');
    const m = mountOf(server(docs), '/models');
    assert.equal(m.readOnly, true);
    assert.equal(volume(docs, m.name).persistentVolumeClaim.claimName, 'adadiff-models');
    const sub = render({ set: ['model.source=pvc', 'model.pvc.claimName=c', 'model.pvc.subPath=repo'] });
    assert.equal(mountOf(server(sub), '/models').subPath, 'repo');
    const r = run({ set: ['model.source=pvc'] });
    assert.notEqual(r.status, 0, 'a pvc without a claim name must not render');
    assert.match(r.stderr, /model\.pvc\.claimName is required/);
  });

  test('model.source initContainer copies the model image into an emptyDir at /models', () => {
    const docs = allOn();
    assert.equal(env(docs).ADADIFF__MODELREPOSITORY, '/models');
    const [init] = pod(docs).initContainers;
    assert.equal(init.image, 'registry.example.com/adadiff/models:fashion-mnist-uvit-1');
    assert.deepEqual(init.command, ['sh', '-c', 'cp -R /models/. /mnt/models/']);
    const target = mountOf(init, '/mnt/models');
    const served = mountOf(server(docs), '/models');
    assert.equal(target.name, served.name, 'the init container writes the volume the server reads');
    assert.ok(volume(docs, served.name).emptyDir);
    const r = run({ set: ['model.source=initContainer'] });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /model\.initContainer\.image\.repository is required/);
    const bad = run({ set: ['model.source=nfs'] });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /model\.source is "nfs"/);
  });

  test('no credentials by default', () => {
    const docs = defaults();
    const e = env(docs);
    for (const k of Object.keys(e)) assert.ok(!/^ADADIFF__(AUTH|TLS)__/.test(k), `${k} set by default`);
    assert.ok(!pod(docs).volumes.some((v) => v.secret), 'a Secret mounted by default');
  });

  test('bearer tokens: the existing Secret mounted read-only and ADADIFF__AUTH__TOKENFILE pointing into it', () => {
    const docs = allOn();
    const m = mountOf(server(docs), '/var/run/secrets/adadiff/tokens');
    assert.equal(m.readOnly, true);
    assert.equal(volume(docs, m.name).secret.secretName, 'adadiff-tokens');
    assert.equal(env(docs).ADADIFF__AUTH__TOKENFILE, '/var/run/secrets/adadiff/tokens/tokens');
    const key = render({ set: ['auth.enabled=true', 'auth.existingSecret=s', 'auth.tokensKey=bearer.txt'] });
    assert.equal(env(key).ADADIFF__AUTH__TOKENFILE, '/var/run/secrets/adadiff/tokens/bearer.txt');
    const r = run({ set: ['auth.enabled=true'] });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /auth\.existingSecret is required/);
  });

  test('TLS: the Secret mounted read-only and the certificate, key and client CA files set', () => {
    const docs = allOn();
    const m = mountOf(server(docs), '/var/run/secrets/adadiff/tls');
    assert.equal(m.readOnly, true);
    assert.equal(volume(docs, m.name).secret.secretName, 'adadiff-tls');
    const e = env(docs);
    assert.equal(e.ADADIFF__TLS__CERTIFICATEFILE, '/var/run/secrets/adadiff/tls/tls.crt');
    assert.equal(e.ADADIFF__TLS__KEYFILE, '/var/run/secrets/adadiff/tls/tls.key');
    assert.equal(e.ADADIFF__TLS__CLIENTCAFILE, '/var/run/secrets/adadiff/tls/ca.crt');
    const noCa = env(render({ set: ['tls.enabled=true', 'tls.existingSecret=t'] }));
    assert.equal(noCa.ADADIFF__TLS__CLIENTCAFILE, undefined);
    assert.equal(noCa.ADADIFF__TLS__KEYFILE, '/var/run/secrets/adadiff/tls/tls.key');
    const r = run({ set: ['tls.enabled=true'] });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /tls\.existingSecret is required/);
  });
});

// ---- names ---------------------------------------------------------------------------------

describe('names', () => {
  const dns1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

  test('a release named like the chart keeps the short names', () => {
    const docs = render({ files: [allOnValues] });
    assert.equal(deployment(docs).metadata.name, 'adadiff');
    assert.equal(headless(docs).metadata.name, 'adadiff-headless');
    assert.equal(deployment(render({ name: 'prod' })).metadata.name, 'prod-adadiff');
    assert.equal(deployment(render({ set: ['fullnameOverride=gen'] })).metadata.name, 'gen');
  });

  test('names and label values are cut to 63 characters with a long release name', () => {
    // The cut at 63 lands on a "-", which must be trimmed too.
    const name = `${'r'.repeat(62)}-release-${'x'.repeat(20)}`;
    const docs = render({ name, files: [allOnValues] });
    const seen = new Map();
    for (const { source, obj } of docs) {
      const n = obj.metadata.name;
      assert.ok(n.length <= 63, `${source}: name ${n} has ${n.length} characters`);
      assert.match(n, dns1123, `${source}: name ${n}`);
      const key = `${obj.kind}/${n}`;
      assert.ok(!seen.has(key), `${key} rendered twice`);
      seen.set(key, source);
      const labelSets = [obj.metadata.labels ?? {}];
      if (obj.kind === 'Deployment') labelSets.push(obj.spec.template.metadata.labels);
      for (const labels of labelSets) {
        for (const [k, v] of Object.entries(labels)) {
          assert.ok(v.length <= 63, `${source}: label ${k}=${v} has ${v.length} characters`);
          assert.match(v, labelValue, `${source}: label ${k}=${v}`);
        }
      }
    }
    assert.equal(deployment(docs).metadata.name, 'r'.repeat(62));
    assert.ok(headless(docs).metadata.name.endsWith('-headless'));
    assert.notEqual(headless(docs).metadata.name, mainService(docs).metadata.name);
    assert.equal(one(docs, 'HorizontalPodAutoscaler').spec.scaleTargetRef.name, deployment(docs).metadata.name);
    assert.equal(server(docs).envFrom[0].configMapRef.name, one(docs, 'ConfigMap', (c) => !c.metadata.labels.grafana_dashboard).metadata.name);
  });
});

// ---- failures --------------------------------------------------------------------------------

/** A copy of the chart in a temporary folder, for breaking it. */
function chartCopy(edit) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adadiff-chart-'));
  const copy = path.join(dir, 'adadiff');
  fs.cpSync(chartDir, copy, { recursive: true });
  edit(copy);
  return { copy, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

describe('failures are loud', () => {
  test('--strict fails on a value the templates use and values.yaml lacks', () => {
    const { copy, cleanup } = chartCopy((c) => {
      const p = path.join(c, 'values.yaml');
      const text = fs.readFileSync(p, 'utf8');
      const broken = text.replace(/^ {2}gracePeriodMarginSeconds: .*$/m, '');
      assert.notEqual(broken, text, 'values.yaml has no termination.gracePeriodMarginSeconds to remove');
      fs.writeFileSync(p, broken);
    });
    try {
      assert.equal(run({ chart: chartDir }).status, 0, 'the unbroken chart renders');
      const r = run({ chart: copy });
      assert.notEqual(r.status, 0, 'the broken copy rendered');
      assert.match(r.stderr, /gracePeriodMarginSeconds/);
    } finally {
      cleanup();
    }
  });

  test('the PrometheusRule and dashboard switches fail without their files', () => {
    const { copy, cleanup } = chartCopy((c) => fs.rmSync(path.join(c, 'files'), { recursive: true, force: true }));
    try {
      const rules = run({ chart: copy, set: ['metrics.prometheusRule.enabled=true'] });
      assert.notEqual(rules.status, 0);
      assert.match(rules.stderr, /files\/prometheus-rules\.yaml is missing/);
      const dash = run({ chart: copy, set: ['dashboards.enabled=true'] });
      assert.notEqual(dash.status, 0);
      assert.match(dash.stderr, /files\/dashboard\.json is missing/);
      assert.equal(run({ chart: copy }).status, 0, 'without the switches the files are not needed');
    } finally {
      cleanup();
    }
  });
});

// ---- NOTES.txt -------------------------------------------------------------------------------

describe('NOTES.txt', () => {
  /** chart-render parses NOTES.txt but does not print it: render it through a ConfigMap in a copy. */
  function notes(opts) {
    const { copy, cleanup } = chartCopy((c) => fs.writeFileSync(path.join(c, 'templates', 'zz-notes-check.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "adadiff/templates/NOTES.txt" . | toJson }}\n'));
    try {
      const docs = render({ ...opts, chart: copy });
      return one(docs, 'ConfigMap', (c) => c.metadata.name === 'notes').data.notes;
    } finally {
      cleanup();
    }
  }

  test('says how to call the service: port-forward, grpcurl, the adadiff command line and curl', () => {
    const text = notes({});
    assert.match(text, /kubectl -n adadiff port-forward svc\/adadiff 50051:50051 9464:9464/);
    assert.match(text, /grpcurl -plaintext localhost:50051 list/);
    assert.match(text, /adadiff\.v1\.DiffusionService\/Generate/);
    assert.match(text, /adadiff --server http:\/\/localhost:50051 generate/);
    assert.match(text, /curl -s -X POST http:\/\/localhost:9464\/v1\/generate/);
    assert.match(text, /dns:\/\/\/adadiff-headless\.adadiff\.svc\.cluster\.local:50051/);
    assert.ok(!/Bearer/.test(text), 'no token without auth');
  });

  test('with auth and TLS it passes the token and drops -plaintext', () => {
    const text = notes({ files: [allOnValues] });
    assert.match(text, /grpcurl -insecure -H "authorization: Bearer \$TOKEN" localhost:50051 list/);
    assert.match(text, /curl -s -H "Authorization: Bearer \$TOKEN" -X POST/);
    assert.match(text, /adadiff-tokens/);
    assert.ok(!/-plaintext/.test(text));
    assert.ok(!/adadiff --server/.test(text), 'the command line takes no token: not suggested with auth');
    const tlsOnly = notes({ set: ['tls.enabled=true', 'tls.existingSecret=t'] });
    assert.match(tlsOnly, /adadiff --server https:\/\/localhost:50051 models/);
    assert.match(tlsOnly, /grpcurl -insecure localhost:50051 list/);
  });
});

// ---- the prometheus-adapter rules of the chart README ----------------------------------------

describe('the README prometheus-adapter rules', () => {
  test('serve the HPA metrics adadiff_queue_depth and adadiff_queue_wait_seconds per pod, checked by promtool', () => {
    assert.ok(onPath('promtool'), 'promtool is missing: install the Debian package prometheus (scripts/setup.sh does)');
    const readme = fs.readFileSync(path.join(chartDir, 'README.md'), 'utf8');
    const block = /<!-- prometheus-adapter rules[^>]*-->\s*```yaml\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, 'the chart README has no marked prometheus-adapter rules block');
    const rules = yaml.load(block[1]).rules.custom;
    const byName = Object.fromEntries(rules.map((r) => [r.name.as, r]));
    const hpaMetrics = one(allOn(), 'HorizontalPodAutoscaler').spec.metrics.filter((m) => m.type === 'Pods').map((m) => m.pods.metric.name);
    assert.deepEqual(Object.keys(byName).sort(), [...hpaMetrics].sort(), 'the adapter must serve exactly the metrics the HPA asks for');
    for (const r of rules) {
      assert.deepEqual(r.resources.overrides, { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } });
      const series = /^([a-z_:]+)\{/.exec(r.seriesQuery)[1];
      assert.match(series, new RegExp(r.name.matches), `${r.name.as}: name.matches must match its series ${series}`);
    }
    // The adapter fills the templates in like this for "the pods p1 and p2 of namespace adadiff".
    const query = (r) => r.metricsQuery.replaceAll('<<.Series>>', /^([a-z_:]+)\{/.exec(r.seriesQuery)[1])
      .replaceAll('<<.LabelMatchers>>', 'namespace="adadiff",pod=~"p1|p2"').replaceAll('<<.GroupBy>>', 'pod');
    // p1: two models with 3 and 1 waiting; 4 generations a minute waited 1 s in all (0.25 s each).
    // p2: idle (its queue wait must read 0, not vanish, or the HPA would not see the pod).
    const tests = {
      rule_files: [],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: [
          { series: 'adadiff_queue_depth{namespace="adadiff",pod="p1",model="a",backend="onnxruntime"}', values: '3x10' },
          { series: 'adadiff_queue_depth{namespace="adadiff",pod="p1",model="b",backend="onnxruntime"}', values: '1x10' },
          { series: 'adadiff_queue_depth{namespace="adadiff",pod="p2",model="a",backend="onnxruntime"}', values: '0x10' },
          { series: 'adadiff_queue_depth{namespace="other",pod="p1",model="a",backend="onnxruntime"}', values: '50x10' },
          { series: 'adadiff_queue_wait_seconds_sum{namespace="adadiff",pod="p1",model="a",backend="onnxruntime"}', values: '0+1x10' },
          { series: 'adadiff_queue_wait_seconds_count{namespace="adadiff",pod="p1",model="a",backend="onnxruntime"}', values: '0+4x10' },
          { series: 'adadiff_queue_wait_seconds_sum{namespace="adadiff",pod="p2",model="a",backend="onnxruntime"}', values: '0x10' },
          { series: 'adadiff_queue_wait_seconds_count{namespace="adadiff",pod="p2",model="a",backend="onnxruntime"}', values: '0x10' },
        ],
        promql_expr_test: [
          { expr: query(byName.adadiff_queue_depth), eval_time: '5m',
            exp_samples: [{ labels: '{pod="p1"}', value: 4 }, { labels: '{pod="p2"}', value: 0 }] },
          { expr: `round(${query(byName.adadiff_queue_wait_seconds)}, 0.001)`, eval_time: '5m',
            exp_samples: [{ labels: '{pod="p1"}', value: 0.25 }, { labels: '{pod="p2"}', value: 0 }] },
        ],
      }],
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adadiff-adapter-'));
    try {
      const file = path.join(dir, 'adapter.test.yaml');
      fs.writeFileSync(file, yaml.dump(tests));
      const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `promtool test rules:\n${r.stdout}${r.stderr}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- values.yaml and values.schema.json ------------------------------------------------------

const valuesPath = path.join(chartDir, 'values.yaml');
const schemaPath = path.join(chartDir, 'values.schema.json');
const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

describe('values', () => {
  test('yamllint accepts values.yaml and the ci values files', () => {
    assert.ok(onPath('yamllint'), 'yamllint is missing: install the Debian package yamllint (scripts/setup.sh does)');
    const files = [valuesPath, ...fs.readdirSync(ciDir).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ciDir, f))];
    assert.ok(files.includes(gpuValues) && files.includes(allOnValues));
    const r = spawnSync('yamllint', ['--strict', '--format', 'parsable', '-c', path.join(chartDir, '.yamllint'), ...files], { encoding: 'utf8' });
    assert.equal(r.status, 0, `yamllint:\n${r.stdout}${r.stderr}`);
  });

  test('values.yaml and values.schema.json name the same keys', () => {
    const values = yaml.load(fs.readFileSync(valuesPath, 'utf8'));
    const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
    const missing = [];
    const extra = [];
    (function walk(v, s, at) {
      const props = s?.properties ?? {};
      for (const [k, child] of Object.entries(v)) {
        const p = at ? `${at}.${k}` : k;
        if (!(k in props)) missing.push(p);
        else if (isMap(child)) walk(child, props[k], p);
      }
      for (const k of Object.keys(props)) if (!(k in v)) extra.push(at ? `${at}.${k}` : k);
    })(values, schema, '');
    assert.deepEqual(missing, [], 'values.yaml keys missing from values.schema.json');
    assert.deepEqual(extra, [], 'values.schema.json properties missing from values.yaml');
    (function described(s, at) {
      assert.ok(typeof s.description === 'string' && s.description.length > 0, `${at || 'the schema'} has no description`);
      for (const [k, child] of Object.entries(s.properties ?? {})) described(child, at ? `${at}.${k}` : k);
    })(schema, '');
  });

  test('every value in values.yaml has a comment', () => {
    // A leaf value needs a comment right above it, unless a parent's "# --" comment describes the
    // whole block (Kubernetes objects passed through as they are: securityContext, resources, ...).
    const lines = fs.readFileSync(valuesPath, 'utf8').split('\n');
    const stack = [];
    const uncommented = [];
    lines.forEach((line, i) => {
      const m = /^( *)([A-Za-z0-9_./"-]+):(.*)$/.exec(line);
      if (!m) return;
      const indent = m[1].length;
      while (stack.length && stack.at(-1).indent >= indent) stack.pop();
      const j = i - 1;
      const commented = j >= 0 && new RegExp(`^ {${indent}}#`).test(lines[j]);
      let first = j;
      while (first > 0 && new RegExp(`^ {${indent}}#`).test(lines[first - 1])) first--;
      const blockDoc = commented && /^ *# -- /.test(lines[first]);
      const leaf = m[3].trim() !== '';
      const path_ = [...stack.map((s) => s.key), m[2]].join('.');
      if (leaf && !commented && !stack.some((s) => s.covers)) uncommented.push(`${path_} (line ${i + 1})`);
      stack.push({ indent, key: m[2], covers: !leaf && blockDoc });
    });
    assert.deepEqual(uncommented, []);
  });

  test('the default, GPU and all-on values satisfy values.schema.json, and mistakes do not', () => {
    const requireFromValidate = createRequire(createRequire(import.meta.url).resolve('@kubernetes-models/validate'));
    const Ajv = requireFromValidate('ajv').default;
    const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
    const load = (f) => yaml.load(fs.readFileSync(f, 'utf8'));
    const merge = (dst, src) => {
      for (const [k, v] of Object.entries(src)) dst[k] = isMap(v) && isMap(dst[k]) ? merge({ ...dst[k] }, v) : v;
      return dst;
    };
    const defaultsV = load(valuesPath);
    const check = (label, v, ok) => {
      const valid = validate(v);
      assert.equal(valid, ok, `${label}: ${ok ? ajv.errorsText(validate.errors) : 'accepted'}`);
    };
    check('values.yaml', defaultsV, true);
    check('gpu-values.yaml', merge(structuredClone(defaultsV), load(gpuValues)), true);
    check('all-on-values.yaml', merge(structuredClone(defaultsV), load(allOnValues)), true);
    check('model.source nfs', merge(structuredClone(defaultsV), { model: { source: 'nfs' } }), false);
    check('a misspelt key', merge(structuredClone(defaultsV), { config: { drainTimeout: 60 } }), false);
    check('a drain timeout as text', merge(structuredClone(defaultsV), { config: { drainTimeoutSeconds: 'long' } }), false);
  });

  test('the image tag defaults to the chart appVersion 0.1.0', () => {
    const chart = yaml.load(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8'));
    assert.equal(chart.appVersion, '0.1.0');
    assert.equal(chart.name, 'adadiff');
    assert.equal(yaml.load(fs.readFileSync(valuesPath, 'utf8')).image.tag, '');
    assert.equal(server(render({ set: ['image.tag=0.2.0'] })).image, 'adadiff/server:0.2.0');
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.equal(server(render({ set: [`image.digest=${digest}`] })).image, `adadiff/server:0.1.0@${digest}`);
  });
});
