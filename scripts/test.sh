#!/usr/bin/env bash
# Sets up a fresh machine and runs every test; prints one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1

results=TestResults
rm -rf "$results"
dotnet build AdaDiff.Grpc.sln -c Release --verbosity quiet -nologo || { echo "0 passed, 1 failed"; exit 1; }
dotnet test AdaDiff.Grpc.sln -c Release --no-build --verbosity quiet -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

# Client tests in Python and Node: each starts the built server (Release) on free loopback ports.
mkdir -p "$results"
junit_counts() { # <junit xml> -> "passed failed" (errors count as failed, skipped as neither)
  local tests failures errors skipped
  tests=$(grep -o '<testcase[ >]' "$1" | wc -l)
  failures=$(grep -o '<failure[ >]' "$1" | wc -l)
  errors=$(grep -o '<error[ >]' "$1" | wc -l)
  skipped=$(grep -o '<skipped[ />]' "$1" | wc -l)
  echo "$((tests - failures - errors - skipped)) $((failures + errors))"
}
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import grpc, grpc_tools, pytest' 2>/dev/null; then
  echo "test: Python client (clients/python)" >&2
  /usr/bin/python3 -m pytest -q -p no:cacheprovider clients/python/tests --junitxml="$results/python.xml"
  py=$?
  if [ "$py" -eq 5 ]; then
    echo "test: pytest collected no tests" >&2 # exit 5: nothing to count, not a failure
  elif [ -s "$results/python.xml" ]; then
    read -r p f < <(junit_counts "$results/python.xml")
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$py" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); fi
  else
    failed=$((failed + 1))
  fi
else
  echo "test: /usr/bin/python3 lacks grpcio, grpc_tools or pytest (scripts/setup.sh installs them)" >&2; failed=$((failed + 1))
fi
# Node suites: the Node client (clients/node) and the deployment tests (tests/deploy: chart, rules, dashboard,
# the real server scraped by a real Prometheus).
for suite in clients/node tests/deploy; do
  name=$(echo "$suite" | tr '/' '-')
  if command -v node >/dev/null && [ -d "$suite/node_modules" ]; then
    echo "test: Node suite ($suite)" >&2
    node_xml="$(cd "$results" && pwd)/$name.xml"
    (cd "$suite" && node --test --test-reporter=spec --test-reporter-destination=stderr \
      --test-reporter=junit --test-reporter-destination="$node_xml")
    nd=$?
    if [ -s "$node_xml" ]; then
      read -r p f < <(junit_counts "$node_xml")
      passed=$((passed + p)); failed=$((failed + f))
      if [ "$nd" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); fi
    else
      failed=$((failed + 1))
    fi
  else
    echo "test: node or $suite/node_modules missing (scripts/setup.sh runs npm ci)" >&2; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
