/**
 * Pre-flight: what the old health-check.sh and DNS pre-check did, as one POSIX
 * sh script rendered from config and run on the host as the deploy user before
 * any container is created. Each failed check prints what it checked, what it
 * saw and the fix; one failure fails the update.
 */

import type { StackConfig } from "../config";
import { DATA_MOUNT } from "../host/bootstrap";
import { publicNames } from "../names";

/** What the host component needs to know to run the pre-flight; the host adds its address. */
export interface HostPreflight {
    readonly stackLabel: string;
    readonly dataPath: string;
    readonly dnsNames: readonly string[];
    readonly minFreeGb: number;
    /** A change runs the pre-flight again (the app version: every release is checked). */
    readonly trigger: string;
}

export interface PreflightOptions {
    /** com.freshtrack.stack label value of this stack, e.g. freshtrack-prod. */
    readonly stackLabel: string;
    /** Directory whose filesystem must have room (Docker's data root). */
    readonly dataPath: string;
    readonly minFreeGb: number;
    readonly ports: readonly number[];
    /** ACME modes: names that must resolve to publicAddress before a certificate is requested. */
    readonly dnsNames: readonly string[];
    readonly publicAddress: string;
}

function shellWord(value: string): string {
    if (!/^[A-Za-z0-9_.:/*@-]*$/.test(value)) throw new Error(`preflight: refusing to render '${value}' into a shell script`);
    return value;
}

/** The pre-flight settings of a stack; the host adds its address. */
export function hostPreflight(cfg: StackConfig): HostPreflight {
    return {
        stackLabel: cfg.namePrefix,
        dataPath: dockerDataPath(cfg.target),
        // In the ACME modes a name that does not resolve to the host would burn Let's Encrypt's rate limit.
        dnsNames: cfg.tlsMode === "internal" ? [] : publicNames(cfg.domain),
        minFreeGb: cfg.preflight.minFreeGb,
        trigger: cfg.app.version,
    };
}

/** Where Docker keeps its data on each remote target: the droplet's volume, or Docker's default. */
export function dockerDataPath(target: StackConfig["target"]): string {
    return target === "droplet" ? DATA_MOUNT : "/var/lib/docker";
}

/** The script for a host at `publicAddress`; Caddy needs ports 80 and 443. */
export function renderHostPreflight(p: HostPreflight, publicAddress: string): string {
    return renderPreflightScript({ stackLabel: p.stackLabel, dataPath: p.dataPath, minFreeGb: p.minFreeGb, ports: [80, 443], dnsNames: p.dnsNames, publicAddress });
}

/** The whole script for a stack whose public address is known. */
export function preflightScriptFor(cfg: StackConfig, publicAddress: string): string {
    return renderHostPreflight(hostPreflight(cfg), publicAddress);
}

export function renderPreflightScript(o: PreflightOptions): string {
    return `#!/bin/sh
# freshtrack-preflight, rendered by components/preflight/preflight.ts
set -u
STACK=${shellWord(o.stackLabel)}
DATA_PATH=${shellWord(o.dataPath)}
MIN_FREE_GB=${Math.floor(o.minFreeGb)}
PORTS="${o.ports.map(String).join(" ")}"
DNS_NAMES="${o.dnsNames.map(shellWord).join(" ")}"
PUBLIC_ADDRESS=${shellWord(o.publicAddress)}
failures=0
fail() { printf 'preflight FAILED: %s\\n  saw: %s\\n  fix: %s\\n' "$1" "$2" "$3" >&2; failures=$((failures + 1)); }
ok() { printf 'preflight ok: %s (%s)\\n' "$1" "$2"; }

if out=$(docker info --format '{{.ServerVersion}}' 2>&1); then
  ok "Docker reachable" "Docker $out"
else
  fail "Docker reachable" "$(printf '%s' "$out" | tr -s '\n' ' ')" "check the daemon (sudo systemctl status docker) and that $(id -un) is in the docker group"
fi

avail_kb=$(df -Pk "$DATA_PATH" 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ -z "$avail_kb" ]; then
  fail "free disk on $DATA_PATH" "no such filesystem" "is the data volume mounted? (mountpoint $DATA_PATH)"
elif [ "$avail_kb" -ge $((MIN_FREE_GB * 1024 * 1024)) ]; then
  ok "free disk on $DATA_PATH" "$((avail_kb / 1024 / 1024)) GB free"
else
  fail "at least $MIN_FREE_GB GB free on $DATA_PATH" "$((avail_kb / 1024)) MB free" "free space (docker image prune) or grow the volume (freshtrack:droplet.volumeSizeGb)"
fi

for port in $PORTS; do
  if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
    holder=$(docker ps --filter "publish=$port" --format '{{.Label "com.freshtrack.stack"}} {{.Label "com.freshtrack.service"}}' 2>/dev/null | head -n 1)
    if [ "$holder" = "$STACK caddy" ]; then
      ok "port $port" "held by this stack's Caddy"
    else
      fail "port $port free for Caddy" "in use by \${holder:-a process outside Docker}" "stop what listens on it (sudo ss -ltnp 'sport = :$port')"
    fi
  else
    ok "port $port" "free"
  fi
done

for name in $DNS_NAMES; do
  addrs=$(getent ahostsv4 "$name" 2>/dev/null | awk '{ print $1 }' | sort -u | tr '\\n' ' ' | sed 's/ $//')
  case " $addrs " in
    *" $PUBLIC_ADDRESS "*) ok "DNS $name" "$addrs" ;;
    *) fail "DNS $name points at $PUBLIC_ADDRESS" "\${addrs:-no A record}" "create an A record for $name pointing at $PUBLIC_ADDRESS (docs/prerequisites.md), wait for it to propagate, then run pulumi up again; no certificate was requested, so Let's Encrypt's rate limit is untouched" ;;
  esac
done

if [ "$failures" -gt 0 ]; then
  echo "preflight: $failures check(s) failed; no container was created or changed" >&2
  exit 1
fi
`;
}
