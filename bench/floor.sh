#!/usr/bin/env bash
# The floor for a no-change run: ONE ssh session (OpenSSH, no connection sharing) to one node
# that runs bench/floor-probe.sh. Usage: bench/floor.sh ADDRESS
exec ssh -o BatchMode=yes -o ControlMaster=no -o ControlPath=none -i /var/lib/keel-lab/id_ed25519 \
  -o UserKnownHostsFile=/var/lib/keel-lab/known_hosts -o StrictHostKeyChecking=yes \
  root@"$1" sh -s <"$(dirname "$0")/floor-probe.sh" >/dev/null
