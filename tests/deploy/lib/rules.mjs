// Reads helm/adadiff/files/prometheus-rules.yaml and its unit tests.
import fs from 'node:fs';
import yaml from 'js-yaml';
import { RULES_FILE, RULES_TEST_FILE } from './paths.mjs';

export function loadRules() {
  const file = yaml.load(fs.readFileSync(RULES_FILE, 'utf8'));
  const rules = (file.groups ?? []).flatMap((group) => (group.rules ?? []).map((rule) => ({ ...rule, group: group.name })));
  return {
    groups: file.groups ?? [],
    recording: rules.filter((r) => r.record),
    alerts: rules.filter((r) => r.alert),
  };
}

export function loadRuleTests() {
  return yaml.load(fs.readFileSync(RULES_TEST_FILE, 'utf8'));
}
