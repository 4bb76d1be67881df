// Paths of what the observability tests check, from the repository root.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEPLOY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'); // tests/deploy
export const ROOT = path.resolve(DEPLOY_DIR, '..', '..');
export const CHART_FILES = path.join(ROOT, 'helm', 'adadiff', 'files');
export const RULES_FILE = path.join(CHART_FILES, 'prometheus-rules.yaml');
export const RULES_TEST_FILE = path.join(CHART_FILES, 'prometheus-rules.test.yaml');
export const DASHBOARD_FILE = path.join(CHART_FILES, 'dashboard.json');
export const OBSERVABILITY_DOC = path.join(ROOT, 'docs', 'observability.md');
