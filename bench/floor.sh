#!/usr/bin/env bash
# The floor for a no-change run: one ssh session (OpenSSH, no connection sharing) per node, all at
# once, each running bench/floor-probe.sh: the least any tool must do to know the nodes' state.
# Usage: bench/floor.sh ADDRESS...
set -euo pipefail
probe="$(dirname "$0")/floor-probe.sh"
pids=()
for a in "$@"; do
  ssh -o BatchMode=yes -o ControlMaster=no -o ControlPath=none -i /var/lib/keel-lab/id_ed25519 \
    -o UserKnownHostsFile=/var/lib/keel-lab/known_hosts -o StrictHostKeyChecking=yes \
    root@"$a" sh -s <"$probe" >/dev/null &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
