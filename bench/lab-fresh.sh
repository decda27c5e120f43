#!/usr/bin/env bash
# Fresh lab nodes for the first-apply scenario: lab down, then lab up --nodes 2 (new overlay roots;
# apt-cacher-ng's cache persists). With --python, python3 is installed on each node (for Ansible).
set -euo pipefail
cd "$(dirname "$0")/.."
while [ -e /tmp/keel-lab-busy ]; do sleep 10; done
npx ts-node lab/cli.ts down >/dev/null 2>&1 || true
npx ts-node lab/cli.ts up --nodes 2 >/dev/null
if [ "${1:-}" = --python ]; then
  bash bench/lab-python.sh
fi
