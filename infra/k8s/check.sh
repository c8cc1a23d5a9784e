#!/usr/bin/env bash
# Offline checks of the Kubernetes manifests (CI runs this; no cluster needed):
#   1. every resource validates against the Kubernetes 1.37 API schemas, strictly (PyPI
#      `kubernetes-validate`, which ships the schemas; installed into its own venv under .state/);
#   2. the ConfigMap's settings load through Bosun's own config schema (config/index.ts), and its
#      flag file passes `bosun validate`;
#   3. the Prometheus scrape annotations (prometheus.io/scrape, port, path on the pods and on
#      Services) name the ports the worker and the facade listen on, as Bosun's config loader
#      computes them from the ConfigMap and each container's environment (infra/k8s/scrape-check.ts).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="${ROOT}/.state/k8s-venv"
PIN="kubernetes-validate==1.37.0"
if [[ "$(cat "$VENV/.pin" 2>/dev/null || true)" != "$PIN" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$PIN"
  echo "$PIN" > "$VENV/.pin"
fi
"$VENV/bin/kubernetes-validate" --strict --quiet -k 1.37 infra/k8s/*.yaml

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$VENV/bin/python" - "$work" <<'PY'
import json, sys, yaml
out = sys.argv[1]
docs = [d for d in yaml.safe_load_all(open("infra/k8s/config.yaml")) if d]
by_name = {d["metadata"]["name"]: d for d in docs}
json.dump(by_name["bosun-config"]["data"], open(f"{out}/env.json", "w"))
open(f"{out}/routing.json", "w").write(by_name["bosun-flags"]["data"]["routing.json"])

# What the scrape check needs of the workloads: pod annotations and labels, each container's
# command, literal environment values and declared ports; the Services' annotations and ports.
import glob
deployments, services = [], []
for f in sorted(glob.glob("infra/k8s/*.yaml")):
    for d in yaml.safe_load_all(open(f)):
        if not d:
            continue
        if d["kind"] == "Deployment":
            t = d["spec"]["template"]
            deployments.append({
                "name": d["metadata"]["name"],
                "labels": t["metadata"].get("labels", {}),
                "annotations": t["metadata"].get("annotations", {}),
                "containers": [{
                    "name": c["name"],
                    "command": c.get("command", []),
                    "env": {e["name"]: e["value"] for e in c.get("env", []) if "value" in e},
                    "ports": c.get("ports", []),
                } for c in t["spec"]["containers"]],
            })
        elif d["kind"] == "Service":
            services.append({
                "name": d["metadata"]["name"],
                "annotations": d["metadata"].get("annotations", {}),
                "selector": d["spec"].get("selector", {}),
                "ports": d["spec"].get("ports", []),
            })
json.dump({"configEnv": by_name["bosun-config"]["data"], "deployments": deployments, "services": services},
          open(f"{out}/manifests.json", "w"))
PY
npx --no-install tsx -e "
const { loadConfig, ENVIRONMENT } = require('./config');
const env = require('$work/env.json');
// BOSUN_ACCOUNTS and BOSUN_CONFIG_FILE are read by loadConfig itself, not through the table.
const unknown = Object.keys(env).filter((k) => !(k in ENVIRONMENT) && k !== 'BOSUN_ACCOUNTS' && k !== 'BOSUN_CONFIG_FILE');
if (unknown.length) { console.error('bosun-config sets variables Bosun does not read: ' + unknown.join(', ')); process.exit(1); }
loadConfig({ ...env, BOSUN_PAYLOAD_KEY: Buffer.alloc(32).toString('base64') }, process.cwd());
"
npx --no-install tsx client/cli/bosun.ts validate --flags "$work/routing.json" >/dev/null
npx --no-install tsx infra/k8s/scrape-check.ts "$work/manifests.json"
echo "k8s manifests: valid (Kubernetes 1.37 schemas, strict), settings load, flag file valid, scrape annotations match the metrics ports"
