#!/usr/bin/env bash
# Ansible needs python3 on the nodes (and python3-apt for its apt module): install them for the
# benchmark only, through the lab's apt cache. Not timed.
set -euo pipefail
remote='dpkg-query -W -f="\${Status}" python3-apt 2>/dev/null | grep -q "ok installed" && exit 0
ls /var/lib/apt/lists | grep -q _Packages || apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-apt >/dev/null'
pids=()
for a in $(node -e 'for (const n of require(process.argv[1]).nodes) if (n.running) console.log(n.address)' /var/lib/keel-lab/state.json); do
  ssh -o BatchMode=yes -o ControlMaster=no -i /var/lib/keel-lab/id_ed25519 -o UserKnownHostsFile=/var/lib/keel-lab/known_hosts \
    -o StrictHostKeyChecking=yes root@"$a" "$remote" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
