/**
 * Pre-flight: what the old health-check.sh and DNS pre-check did, as one POSIX
 * sh script rendered from config and run on the host as the deploy user before
 * any container is created. Each failed check prints what it checked, what it
 * saw and the fix; one failure fails the update.
 */

import * as net from "net";
import type { StackConfig } from "../config";
import { DATA_MOUNT } from "../host/bootstrap";
import { publicNames } from "../names";
import { AppImageCheck, appImageCheck, renderAppImageLines } from "./appImageCheck";
import { CpuLimit, cpuLimitsToCheck, renderCpuLines } from "./cpuCheck";

/** What the host component needs to know to run the pre-flight; the host adds its address. */
export interface HostPreflight {
    readonly stackLabel: string;
    readonly dataPath: string;
    readonly dnsNames: readonly string[];
    readonly minFreeGb: number;
    /** A change runs the pre-flight again (the app version: every release is checked). */
    readonly trigger: string;
    /**
     * Droplet without freshtrack:droplet.dnsZone, in an ACME mode: the names' records are the operator's to create at
     * another DNS provider, during the first `up`, since the addresses they point at do not exist before it. The DNS
     * check then waits DNS_BY_HAND_WAIT_SECONDS, prints the records, and on giving up prints them again with the
     * command to run next (`npm run deploy -- <stack>`).
     */
    readonly dnsByHand?: { readonly domain: string; readonly stack: string };
    /** The FreshTrack images the host pulls, checked before any is (absent when the stack builds them). */
    readonly appImages?: AppImageCheck;
    /** ssh target: the CPU limits to compare with the VM's CPUs (./cpuCheck.ts); absent when there are none. */
    readonly cpuLimits?: readonly CpuLimit[];
}

/** A DNS record the stack's names need, as the stack output `dnsRecords` lists it. */
export interface DnsRecordSpec {
    readonly name: string;
    readonly type: "A" | "AAAA";
    readonly value: string;
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
    /**
     * The host's IP address, or (ssh target) its DNS name: then the names must resolve to what it resolves to on the
     * host.
     */
    readonly publicAddress: string;
    /**
     * The droplet's own IPv6 address, which its AAAA records point at. Given, every AAAA record of the names must be
     * this address (none is fine): Let's Encrypt may validate over IPv6, so a stale AAAA record elsewhere fails the
     * certificate just as a stale A record does.
     */
    readonly publicIpv6?: string;
    /** How long, in all, the DNS check waits for the names to resolve to the host (default DNS_WAIT_SECONDS). */
    readonly dnsWaitSeconds?: number;
    /** Pause between two lookups of a name that does not resolve to the host yet (default DNS_RETRY_SECONDS). */
    readonly dnsRetrySeconds?: number;
    /**
     * DNS kept at another provider: the records the operator creates there, printed when the DNS check starts and,
     * with `retry` (the command to run once they exist), when it gives up.
     */
    readonly dnsByHand?: { readonly records: readonly DnsRecordSpec[]; readonly retry: string };
    /** The FreshTrack images to check on the host (components/preflight/appImageCheck.ts); none when absent. */
    readonly appImages?: AppImageCheck;
    /** CPU limits the host's CPUs must cover (./cpuCheck.ts); none checked when absent or empty. */
    readonly cpuLimits?: readonly CpuLimit[];
}

/**
 * The DNS check waits before it calls a name wrong: records the program creates (droplet with
 * dnsZone) are only moments old when it runs, an operator may be adding theirs while `pulumi up`
 * waits, and the host's resolver keeps a "no such name" answer for the zone's negative-caching
 * TTL (RFC 2308, section 5), usually minutes.
 */
export const DNS_WAIT_SECONDS = 300;
export const DNS_RETRY_SECONDS = 10;

/**
 * With DNS at another provider (HostPreflight.dnsByHand) the records are made by hand while the first `up` runs, from
 * the line the program logs once the reserved IP exists (components/host/dropletHost.ts), so the check waits 15
 * minutes instead of 5; the droplet's bootstrap adds 3 to 5 before it starts (docs/walkthrough.md, step 6). A
 * provider publishes a new record within about a minute (Amazon Route 53: "within 60 seconds under normal
 * conditions", aws.amazon.com/route53/faqs), so the budget is mostly the operator's time to add four records. It is
 * no longer because a longer wait would seldom help: a lookup made before a record existed leaves "no such name" in
 * the host's resolver for the zone's negative-caching TTL, the lesser of the SOA record's TTL and its MINIMUM field
 * (RFC 2308, section 3), which a resolver may keep for hours (section 5 finds a limit of one to three hours to work
 * well). Past 15 minutes the check stops with the records and the command to run next; nothing on the host changed.
 */
export const DNS_BY_HAND_WAIT_SECONDS = 900;

function shellWord(value: string): string {
    if (!/^[A-Za-z0-9_.:/*@-]*$/.test(value))
        throw new Error(`preflight: refusing to render '${value}' into a shell script`);
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
        ...(cfg.target === "droplet" && cfg.droplet.dnsZone === undefined && cfg.tlsMode !== "internal"
            ? { dnsByHand: { domain: cfg.domain, stack: cfg.stack } }
            : {}),
        ...hostAppImages(cfg),
        ...cpuLimitsToCheck(cfg.target, cfg.resources),
    };
}

/** The FreshTrack images a remote host pulls, for the pre-flight to check; nothing when the stack builds them. */
function hostAppImages(cfg: StackConfig): { appImages?: AppImageCheck } {
    if (cfg.app.build) return {};
    return { appImages: appImageCheck(cfg.app.images, cfg.stack, cfg.target, cfg.app.registryAuth !== undefined) };
}

/**
 * The records that point a droplet stack's names at it, as DropletHost creates them in a DigitalOcean zone: A at
 * the reserved IPv4 address and AAAA at the droplet's own IPv6 address, for the domain and `*.<domain>`, which
 * covers every subdomain Caddy serves (publicNames). No AAAA record without an IPv6 address.
 */
export function dropletDnsRecords(domain: string, ipv4: string, ipv6?: string): DnsRecordSpec[] {
    return [...dnsRecordsOfType(domain, "A", ipv4), ...(ipv6 ? dnsRecordsOfType(domain, "AAAA", ipv6) : [])];
}

/** The records of one type for a droplet stack's names, an IPv6 address written as getent prints it. */
export function dnsRecordsOfType(domain: string, type: DnsRecordSpec["type"], address: string): DnsRecordSpec[] {
    const value = type === "AAAA" ? canonicalIpv6(address) : address;
    return dnsRecordNames(domain).map((name) => ({ name, type, value }));
}

/** An IPv6 address compressed and in lower case, as getent prints it; anything else as it is. */
function canonicalIpv6(address: string): string {
    // The WHATWG URL parser prints an IPv6 host that way.
    return net.isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

/** The names a droplet stack's records are made for: the domain and `*.<domain>`. */
export function dnsRecordNames(domain: string): string[] {
    return [domain, `*.${domain}`];
}

/** One record as an operator types it at a DNS provider: `<name> <type> <value>`. */
export function recordLine(r: DnsRecordSpec): string {
    return `${r.name} ${r.type} ${r.value}`;
}

/** Where Docker keeps its data on each remote target: the droplet's volume, or Docker's default. */
export function dockerDataPath(target: StackConfig["target"]): string {
    return target === "droplet" ? DATA_MOUNT : "/var/lib/docker";
}

/** The script for a host at `publicAddress`; Caddy needs ports 80 and 443. */
export function renderHostPreflight(p: HostPreflight, publicAddress: string, publicIpv6?: string): string {
    return renderPreflightScript({
        stackLabel: p.stackLabel,
        dataPath: p.dataPath,
        minFreeGb: p.minFreeGb,
        ports: [80, 443],
        dnsNames: p.dnsNames,
        publicAddress,
        ...(publicIpv6 ? { publicIpv6 } : {}),
        ...(p.appImages ? { appImages: p.appImages } : {}),
        ...(p.cpuLimits ? { cpuLimits: p.cpuLimits } : {}),
        ...(p.dnsByHand
            ? {
                  dnsWaitSeconds: DNS_BY_HAND_WAIT_SECONDS,
                  dnsByHand: {
                      records: dropletDnsRecords(p.dnsByHand.domain, publicAddress, publicIpv6),
                      retry: `npm run deploy -- ${p.dnsByHand.stack}`,
                  },
              }
            : {}),
    });
}

/**
 * How the script looks the host up: an IPv4 literal is compared with A records, an IPv6 literal
 * (in the form getent prints) with AAAA records, and a name (ssh.host) by the A records it has itself.
 */
interface HostLookup {
    readonly address: string;
    readonly isName: boolean;
    readonly lookup: "ahostsv4" | "ahostsv6";
    readonly record: "A" | "AAAA";
}

function hostLookup(publicAddress: string): HostLookup {
    switch (net.isIP(publicAddress)) {
        case 4:
            return { address: publicAddress, isName: false, lookup: "ahostsv4", record: "A" };
        case 6:
            return { address: canonicalIpv6(publicAddress), isName: false, lookup: "ahostsv6", record: "AAAA" };
        default:
            return { address: publicAddress, isName: true, lookup: "ahostsv4", record: "A" };
    }
}

/** The whole script for a stack whose public address (and, on a droplet, IPv6 address) is known. */
export function preflightScriptFor(cfg: StackConfig, publicAddress: string, publicIpv6?: string): string {
    return renderHostPreflight(hostPreflight(cfg), publicAddress, publicIpv6);
}

export function renderPreflightScript(o: PreflightOptions): string {
    const host = hostLookup(o.publicAddress);
    const dnsWait = Math.max(0, Math.floor(o.dnsWaitSeconds ?? DNS_WAIT_SECONDS));
    const dnsRetry = Math.max(1, Math.floor(o.dnsRetrySeconds ?? DNS_RETRY_SECONDS));
    // Without dnsByHand the DNS lines are as they were before it existed, so they alone change no stack's script (a
    // changed script is a changed input of the pre-flight command, which runs again); the image check added with it
    // did change every pulling remote stack's script once (docs/operations.md, "Upgrading a stack deployed by an
    // earlier version").
    const byHand = o.dnsByHand;
    const retry = byHand ? `run ${byHand.retry.split(" ").map(shellWord).join(" ")} again` : "run pulumi up again";
    return `#!/bin/sh
# freshtrack-preflight, rendered by components/preflight/preflight.ts
set -u
STACK=${shellWord(o.stackLabel)}
DATA_PATH=${shellWord(o.dataPath)}
MIN_FREE_GB=${Math.floor(o.minFreeGb)}
PORTS="${o.ports.map(String).join(" ")}"
DNS_NAMES="${o.dnsNames.map(shellWord).join(" ")}"
PUBLIC_ADDRESS=${shellWord(host.address)}
PUBLIC_IS_NAME=${host.isName ? "yes" : "no"}
LOOKUP=${host.lookup}
RECORD=${host.record}
PUBLIC_IPV6=${o.publicIpv6 ? shellWord(canonicalIpv6(o.publicIpv6)) : ""}
DNS_WAIT_SECONDS=${dnsWait}
DNS_RETRY_SECONDS=${dnsRetry}
failures=0
fail() { printf 'preflight FAILED: %s\\n  saw: %s\\n  fix: %s\\n' "$1" "$2" "$3" >&2; failures=$((failures + 1)); }
ok() { printf 'preflight ok: %s (%s)\\n' "$1" "$2"; }

if out=$(docker info --format '{{.ServerVersion}}' 2>&1); then
  ok "Docker reachable" "Docker $out"
else
  fail "Docker reachable" "$(printf '%s' "$out" | tr -s '\n' ' ')" "check the daemon (sudo systemctl status docker) and that $(id -un) is in the docker group"
fi

${o.cpuLimits && o.cpuLimits.length > 0 ? `${renderCpuLines(o.cpuLimits)}\n` : ""}${o.appImages ? `${renderAppImageLines(o.appImages)}\n` : ""}avail_kb=$(df -Pk "$DATA_PATH" 2>/dev/null | awk 'NR == 2 { print $4 }')
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

# addresses NAME: what NAME resolves to on this host, on one line.
addresses() {
  getent "$LOOKUP" "$1" 2>/dev/null | awk '{ print $1 }' | sort -u | tr '\\n' ' ' | sed 's/ $//'
}
# The host's own addresses: the literal, or, when the host was given by name, what that name resolves to here,
# less loopback: Debian and Ubuntu map the machine's own name to 127.0.1.1 in /etc/hosts, which getent reads
# before DNS, and the public records can never point there.
host_addresses() {
  if [ "$PUBLIC_IS_NAME" = yes ]; then
    for a in $(addresses "$PUBLIC_ADDRESS"); do
      case "$a" in 127.*|::1) ;; *) printf '%s ' "$a" ;; esac
    done | sed 's/ $//'
  else
    printf '%s' "$PUBLIC_ADDRESS"
  fi
}
# within LIST HOST: whether LIST is not empty and every address in it is one of HOST's. Let's Encrypt may
# validate through any of a name's addresses, so one stale record elsewhere is enough to fail a certificate.
within() {
  [ -n "$1" ] || return 1
  for a in $1; do
    case " $2 " in *" $a "*) ;; *) return 1 ;; esac
  done
  return 0
}

${byHand ? dnsByHandIntro(byHand.records) : ""}dns_deadline=$(($(date +%s) + DNS_WAIT_SECONDS))
for name in $DNS_NAMES; do
  while :; do
    expected=$(host_addresses)
    addrs=$(addresses "$name")
    if within "$addrs" "$expected"; then
      ok "DNS $name" "$addrs"
      break
    fi
    if [ "$PUBLIC_IS_NAME" = yes ]; then
      want="$PUBLIC_ADDRESS (\${expected:-which resolves on this host to no address but loopback})"
    else
      want=$PUBLIC_ADDRESS
    fi
    left=$((dns_deadline - $(date +%s)))
    if [ "$left" -le 0 ]; then
      if [ -z "$expected" ] && [ "$PUBLIC_IS_NAME" = yes ]; then
        fix="set freshtrack:ssh.host to the VM's public IP address: its name resolves on the VM only to loopback (/etc/hosts)"
      elif [ -n "$addrs" ]; then
        fix="make the $RECORD records of $name point at $expected only, with none elsewhere (docs/prerequisites.md)"
      else
        fix="${byHand ? "create the records listed below at your DNS provider" : "create an $RECORD record for $name pointing at ${expected:-$PUBLIC_ADDRESS} (docs/prerequisites.md)"}"
      fi
      fail "DNS $name points at $want" "\${addrs:-no $RECORD record}" "$fix, wait for ${byHand ? "them" : "it"} to propagate, then ${retry}; no certificate was requested, so Let's Encrypt's rate limit is untouched"
      break
    fi
    printf 'preflight waiting: DNS %s should point at %s, saw %s; looking again in %s s (%s s left)\\n' "$name" "$want" "\${addrs:-no $RECORD record}" "$DNS_RETRY_SECONDS" "$left"
    sleep "$DNS_RETRY_SECONDS"
  done
done

# AAAA records, where the host has an IPv6 address of its own: none is fine, and any there must be the host's.
# getent's ahostsv6 also prints IPv4-mapped forms of A records (AI_V4MAPPED); those are not AAAA records.
aaaa_records() {
  getent ahostsv6 "$1" 2>/dev/null | awk '{ print $1 }' | grep -v '^::ffff:' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
if [ -n "$PUBLIC_IPV6" ]; then
  for name in $DNS_NAMES; do
    while :; do
      addrs6=$(aaaa_records "$name")
      if [ -z "$addrs6" ] || within "$addrs6" "$PUBLIC_IPV6"; then
        ok "DNS $name AAAA" "\${addrs6:-none}"
        break
      fi
      left=$((dns_deadline - $(date +%s)))
      if [ "$left" -le 0 ]; then
        fail "DNS $name AAAA points at $PUBLIC_IPV6 or is absent" "$addrs6" "make the AAAA records of $name point at $PUBLIC_IPV6 only ${byHand ? "(as listed below)" : "(pulumi stack output publicIpv6)"}, or remove them, wait for it to propagate, then ${retry}"
        break
      fi
      printf 'preflight waiting: DNS %s AAAA should point at %s or be absent, saw %s; looking again in %s s (%s s left)\n' "$name" "$PUBLIC_IPV6" "$addrs6" "$DNS_RETRY_SECONDS" "$left"
      sleep "$DNS_RETRY_SECONDS"
    done
  done
fi

if [ "$failures" -gt 0 ]; then
  echo "preflight: $failures check(s) failed; no container was created or changed" >&2
${byHand ? dnsByHandOutro(retry) : ""}  exit 1
fi
`;
}

/**
 * DNS at another provider, before the DNS check: the records to create, printed once when the check starts (the
 * command's output reaches `pulumi up` line by line) and kept for the end.
 */
function dnsByHandIntro(records: readonly DnsRecordSpec[]): string {
    const lines = records.map(
        (r) =>
            `'${[r.name, r.type, r.value].map(shellWord).join(" ")}${r.type === "AAAA" ? " (or no AAAA record)" : ""}'`,
    );
    return `# DNS at another provider (freshtrack:droplet.dnsZone unset): the records to create there, one a line.
records_by_hand() {
  printf '  %s\\n' ${lines.join(" ")}
}
dns_failures_before=$failures
if [ -n "$DNS_NAMES" ]; then
  echo "preflight: DNS is kept at another provider (freshtrack:droplet.dnsZone is unset); the names need these records, looked for up to $((DNS_WAIT_SECONDS / 60)) minutes:"
  records_by_hand
fi
`;
}

/**
 * DNS at another provider, once the pre-flight failed: when the DNS check did (its failures came after the count
 * taken before it), exactly what to do, as the last lines of the failure message.
 */
function dnsByHandOutro(retry: string): string {
    return `  if [ "$failures" -gt "$dns_failures_before" ]; then
    echo "preflight: create these DNS records at your DNS provider:" >&2
    records_by_hand >&2
    echo "then ${retry}" >&2
  fi
`;
}
