/**
 * Host bootstrap as one idempotent bash script, rendered from config. The
 * droplet runs it from cloud-init; the ssh target runs it over SSH. Running it
 * again changes nothing: every step checks before it acts.
 */
import { SERVICE_DEFAULTS } from "../service";
import { inboundRules } from "./firewallRules";

export const DEPLOY_USER = "deploy";
/** Where the droplet's block volume is mounted; Docker's data root lives on it. */
export const DATA_MOUNT = "/mnt/freshtrack-data";
/** Written last by the bootstrap; the deploy waits for it. */
export const BOOTSTRAP_MARKER = "/var/lib/freshtrack/bootstrap.done";
export const BOOTSTRAP_PATH = "/usr/local/sbin/freshtrack-bootstrap";

export interface BootstrapOptions {
    /** Public keys authorised for the deploy user. */
    readonly deployKeys: readonly string[];
    readonly adminCidrs: readonly string[];
    /** Mount point of a data volume that must be mounted before Docker starts; unset keeps Docker's default data root. */
    readonly dataMount?: string;
}

/** Docker daemon settings: the host-wide defaults under the per-container ones. */
export function renderDaemonJson(dataMount?: string): string {
    const config = {
        "log-driver": SERVICE_DEFAULTS.logDriver,
        "log-opts": { ...SERVICE_DEFAULTS.logOpts },
        // Containers keep running while the daemon restarts (package upgrades).
        "live-restore": true,
        "no-new-privileges": true,
        // Published ports are handled by iptables alone, not a proxy process per port.
        "userland-proxy": false,
        ...(dataMount ? { "data-root": `${dataMount}/docker` } : {}),
    };
    return JSON.stringify(config, null, 2) + "\n";
}

/**
 * Rules for Docker's DOCKER-USER chain. Docker publishes ports with its own
 * iptables rules, ahead of UFW; this chain is where Docker lets the host
 * filter them. From the public interface only new connections to 80 and 443
 * (matched on the port before Docker's DNAT) reach a container.
 */
export function renderDockerUserScript(): string {
    return `#!/usr/bin/env bash
# Rendered by components/host/bootstrap.ts. Re-applied whenever Docker starts.
set -euo pipefail
ext_if=$(ip route show default | awk '{print $5; exit}')
if [ -z "$ext_if" ]; then
  echo "freshtrack-docker-user: no default route, so no public interface to filter" >&2
  exit 1
fi
apply() {
  local tool=$1
  command -v "$tool" >/dev/null 2>&1 || return 0
  "$tool" -N DOCKER-USER 2>/dev/null || true
  "$tool" -F DOCKER-USER
  "$tool" -A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN
  "$tool" -A DOCKER-USER -i "$ext_if" -p tcp -m conntrack --ctorigdstport 80 -j RETURN
  "$tool" -A DOCKER-USER -i "$ext_if" -p tcp -m conntrack --ctorigdstport 443 -j RETURN
  "$tool" -A DOCKER-USER -i "$ext_if" -j DROP
  "$tool" -A DOCKER-USER -j RETURN
}
apply iptables
apply ip6tables
`;
}

const DOCKER_USER_UNIT = `[Unit]
Description=FreshTrack: only ports 80 and 443 of published container ports reach the public interface
After=docker.service
Requires=docker.service
PartOf=docker.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/freshtrack-docker-user

[Install]
WantedBy=docker.service
`;

const FAIL2BAN_JAIL = `[sshd]
enabled = true
backend = systemd
maxretry = 5
findtime = 10m
bantime = 1h
`;

const AUTO_UPGRADES = `APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
`;

/** UFW rules, one `ufw` argument list a line: the same rules as the cloud firewall. */
export function renderUfwRules(adminCidrs: readonly string[]): string {
    return inboundRules(adminCidrs)
        .flatMap((rule) => rule.sources.map((source) => `allow proto ${rule.protocol} from ${source} to any port ${rule.port} comment ${rule.name}`))
        .join("\n") + "\n";
}

/** Where the bootstrap records the UFW rules it added, so a later run can remove those no longer wanted. */
export const UFW_STATE = "/var/lib/freshtrack/ufw-rules";

/**
 * A `write_file` call fed by a quoted heredoc. With `onChange`, that command
 * runs only when the file changed.
 */
function writeFile(path: string, mode: string, content: string, tag: string, onChange?: string): string {
    if (content.split("\n").includes(tag)) throw new Error(`heredoc terminator ${tag} occurs in the content of ${path}`);
    const body = `${content}${content.endsWith("\n") ? "" : "\n"}${tag}`;
    return onChange
        ? `if write_file ${path} ${mode} <<'${tag}'\n${body}\nthen ${onChange}; fi`
        : `write_file ${path} ${mode} <<'${tag}' || true\n${body}`;
}

export function renderBootstrapScript(opts: BootstrapOptions): string {
    const ufwRules = renderUfwRules(opts.adminCidrs);
    const keys = opts.deployKeys.map((k) => k.trim()).join("\n") + "\n";
    return `#!/usr/bin/env bash
# FreshTrack host bootstrap, rendered by components/host/bootstrap.ts.
# Idempotent: safe to run again; it only changes what differs.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

log() { printf '[freshtrack-bootstrap] %s\\n' "$*"; }

# write_file PATH MODE < content: replaces PATH only when the content differs.
# Exit status 0 means it changed, 1 means it was already up to date.
write_file() {
  local path=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    return 1
  fi
  install -D -m "$mode" "$tmp" "$path"
  rm -f "$tmp"
  log "wrote $path"
  return 0
}

# apply_ufw_rules < rules: one \`ufw\` argument list a line. Adds the rules (ufw skips
# those it has) and deletes the ones an earlier run added that are no longer
# wanted, so UFW follows the admin CIDRs in both directions.
apply_ufw_rules() {
  local state=\${FRESHTRACK_UFW_STATE:-${UFW_STATE}} desired previous rule
  local -a args
  desired=$(cat)
  previous=$(cat "$state" 2>/dev/null || true)
  while IFS= read -r rule; do
    [ -n "$rule" ] || continue
    if ! grep -qxF -- "$rule" <<<"$desired"; then
      log "removing ufw rule: $rule"
      read -ra args <<<"$rule"
      ufw delete "\${args[@]}" >/dev/null
    fi
  done <<<"$previous"
  while IFS= read -r rule; do
    [ -n "$rule" ] || continue
    read -ra args <<<"$rule"
    ufw "\${args[@]}" >/dev/null
  done <<<"$desired"
  install -d -m 0755 "$(dirname "$state")"
  printf '%s\\n' "$desired" >"$state"
}

if [ "$(id -u)" -ne 0 ]; then
  echo "freshtrack-bootstrap must run as root" >&2
  exit 1
fi
${
    opts.dataMount
        ? `
# Docker's data root is on the data volume, so it must be mounted first.
for _ in $(seq 1 60); do
  mountpoint -q ${opts.dataMount} && break
  mount ${opts.dataMount} 2>/dev/null || sleep 2
done
if ! mountpoint -q ${opts.dataMount}; then
  echo "freshtrack-bootstrap: ${opts.dataMount} is not mounted; is the block volume attached?" >&2
  exit 1
fi
`
        : ""
}
# Docker settings go in before the package, so the daemon's first start already uses them.
docker_config_changed=0
${writeFile("/etc/docker/daemon.json", "0644", renderDaemonJson(opts.dataMount), "DAEMON_JSON", "docker_config_changed=1")}

missing=()
for pkg in docker.io ufw fail2ban unattended-upgrades; do
  dpkg-query -W -f='\${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ "\${#missing[@]}" -gt 0 ]; then
  log "installing \${missing[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "\${missing[@]}"
fi

# The deploy user runs containers through Docker and nothing else.
if ! id -u ${DEPLOY_USER} >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash ${DEPLOY_USER}
  log "created user ${DEPLOY_USER}"
fi
id -nG ${DEPLOY_USER} | tr ' ' '\\n' | grep -qx docker || usermod -aG docker ${DEPLOY_USER}
install -d -m 0700 -o ${DEPLOY_USER} -g ${DEPLOY_USER} /home/${DEPLOY_USER}/.ssh
${writeFile(`/home/${DEPLOY_USER}/.ssh/authorized_keys`, "0600", keys, "AUTHORIZED_KEYS", `chown ${DEPLOY_USER}:${DEPLOY_USER} /home/${DEPLOY_USER}/.ssh/authorized_keys`)}

# Published container ports bypass UFW; DOCKER-USER filters them instead.
${writeFile("/usr/local/sbin/freshtrack-docker-user", "0755", renderDockerUserScript(), "DOCKER_USER")}
${writeFile("/etc/systemd/system/freshtrack-docker-user.service", "0644", DOCKER_USER_UNIT, "UNIT", "systemctl daemon-reload")}
systemctl enable docker.service freshtrack-docker-user.service >/dev/null 2>&1
if [ "$docker_config_changed" -eq 1 ] && systemctl is-active --quiet docker; then
  log "restarting docker for the new daemon.json"
  systemctl restart docker
fi
systemctl start docker
systemctl restart freshtrack-docker-user.service

# UFW: the same rules as the cloud firewall. ufw skips rules it already has.
ufw default deny incoming >/dev/null
ufw default allow outgoing >/dev/null
apply_ufw_rules <<'UFW_RULES'
${ufwRules}UFW_RULES
ufw --force enable >/dev/null

${writeFile("/etc/fail2ban/jail.d/freshtrack.local", "0644", FAIL2BAN_JAIL, "JAIL", "systemctl restart fail2ban")}
systemctl enable --now fail2ban >/dev/null 2>&1

${writeFile("/etc/apt/apt.conf.d/20auto-upgrades", "0644", AUTO_UPGRADES, "APT")}
systemctl enable --now unattended-upgrades >/dev/null 2>&1

install -d -m 0755 "$(dirname ${BOOTSTRAP_MARKER})"
date -u +%Y-%m-%dT%H:%M:%SZ >${BOOTSTRAP_MARKER}
log "done"
`;
}
