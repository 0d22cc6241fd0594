/**
 * Host bootstrap as one idempotent bash script, rendered from config. The
 * droplet runs it from cloud-init; the ssh target runs it over SSH. Running it
 * again changes nothing: every step checks before it acts.
 */
import { DEFAULT_SSH_PORT } from "./firewallRules";
import {
    APPLY_UFW_RULES_FN,
    APT_LOCK_WAIT_SECONDS,
    AUTO_UPGRADES,
    BOOTSTRAP_MARKER,
    DEPLOY_USER,
    DOCKER_DATA_MOUNT_DROP_IN,
    DOCKER_USER_UNIT,
    HOST_RULES_PATH,
    IMAGE_PRUNE_SERVICE,
    IMAGE_PRUNE_TIMER,
    PermitRootLogin,
    SSHD_DROP_IN,
    SUDOERS_PATH,
    UFW_STATE,
    WRITE_FILE_FN,
    renderDaemonJson,
    renderDockerDataMountDropIn,
    renderDockerUserScript,
    renderDockerVersionCheck,
    renderFail2banJail,
    renderHostRules,
    renderHostRulesScript,
    renderSshdHardening,
    renderSudoers,
} from "./hostFiles";

export * from "./hostFiles";

export interface BootstrapOptions {
    /** Public keys authorised for the deploy user. */
    readonly deployKeys: readonly string[];
    readonly adminCidrs: readonly string[];
    /** The port sshd listens on (ssh target: `ssh.port`); UFW opens it and fail2ban watches it. Droplets: 22. */
    readonly sshPort?: number;
    /**
     * Mount point of a data volume that must be mounted before Docker starts; unset keeps Docker's default data root.
     */
    readonly dataMount?: string;
    /** The block device of that volume (droplets): the one device the deploy user may grow with resize2fs. */
    readonly dataDevice?: string;
    /**
     * sshd's PermitRootLogin: "no" unless the host is administered as root over SSH (an ssh target
     * whose `ssh.user` is root), where "prohibit-password" keeps that key-only login working.
     */
    readonly permitRootLogin?: PermitRootLogin;
    /**
     * The oldest Docker major version the host may run: set where Caddy publishes on IPv4 and IPv6
     * (DUAL_STACK_DOCKER_MAJOR, components/platform/networks.ts). The bootstrap stops with a message on an older one.
     */
    readonly minDockerMajor?: number;
    /**
     * Apply the UFW rules and deploy keys baked into this script only when the host has none yet. For the
     * droplet's copy, which cloud-init wrote at creation: a later run by hand must not put back the rules and
     * keys of the first boot over those `droplet-host-rules` applied since (a revoked key would come back).
     */
    readonly hostRulesFirstBootOnly?: boolean;
}

/**
 * A `write_file` call fed by a quoted heredoc. With `onChange`, that command
 * runs only when the file changed.
 */
function writeFile(path: string, mode: string, content: string, tag: string, onChange?: string): string {
    if (content.split("\n").includes(tag))
        throw new Error(`heredoc terminator ${tag} occurs in the content of ${path}`);
    const body = `${content}${content.endsWith("\n") ? "" : "\n"}${tag}`;
    return onChange
        ? `if write_file ${path} ${mode} <<'${tag}'\n${body}\nthen ${onChange}; fi`
        : `write_file ${path} ${mode} <<'${tag}' || true\n${body}`;
}

export function renderBootstrapScript(opts: BootstrapOptions): string {
    const sshPort = opts.sshPort ?? DEFAULT_SSH_PORT;
    return `#!/usr/bin/env bash
# FreshTrack host bootstrap, rendered by components/host/bootstrap.ts.
# Idempotent: safe to run again; it only changes what differs.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

log() { printf '[freshtrack-bootstrap] %s\\n' "$*"; }

${WRITE_FILE_FN}
${APPLY_UFW_RULES_FN}
# apt_get ARGS...: apt-get that waits for the package manager's locks instead of failing on them.
# DPkg::Lock::Timeout makes apt itself wait for the dpkg locks that install takes (apt 1.9.11 and
# later; Debian/apt@2.6.1 apt-pkg/deb/debsystem.cc:130). The lock on the package lists that
# 'apt-get update' takes has no such wait (apt-pkg/update.cc:30, apt-pkg/acquire.cc:178), so a failure
# that names a lock is retried until the same deadline. Any other failure fails at once.
apt_get() {
  local deadline=$((SECONDS + ${APT_LOCK_WAIT_SECONDS})) err
  err=$(mktemp)
  until apt-get -o DPkg::Lock::Timeout=${APT_LOCK_WAIT_SECONDS} "$@" 2>"$err"; do
    cat "$err" >&2
    if ! grep -qE 'Could not get lock|Unable to lock|Unable to acquire the dpkg frontend lock' "$err" || [ "$SECONDS" -ge "$deadline" ]; then
      rm -f "$err"
      return 1
    fi
    log "apt is busy: another process holds its lock; apt-get $1 again in \${FRESHTRACK_APT_RETRY_SECONDS:-10} s"
    sleep "\${FRESHTRACK_APT_RETRY_SECONDS:-10}"
  done
  cat "$err" >&2
  rm -f "$err"
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
${
    opts.dataMount
        ? `# At every later boot too, Docker waits for the data volume and does not start without it (no restart needed:
# the dependency counts from the next start).
${writeFile(DOCKER_DATA_MOUNT_DROP_IN, "0644", renderDockerDataMountDropIn(opts.dataMount), "DATA_MOUNT_DROP_IN", "systemctl daemon-reload")}
`
        : ""
}
missing=()
for pkg in docker.io ufw fail2ban python3-systemd unattended-upgrades sudo; do
  dpkg-query -W -f='\${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ "\${#missing[@]}" -gt 0 ]; then
  log "installing \${missing[*]}"
  apt_get update -q
  apt_get install -y -q --no-install-recommends "\${missing[@]}"
fi

# The deploy user runs containers through Docker, and as root only what the sudo rules below name.
if ! id -u ${DEPLOY_USER} >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash ${DEPLOY_USER}
  log "created user ${DEPLOY_USER}"
fi
id -nG ${DEPLOY_USER} | tr ' ' '\\n' | grep -qx docker || usermod -aG docker ${DEPLOY_USER}

# sudo: exactly the root commands the runbooks use, checked by visudo before sudo reads them (a broken file in
# sudoers.d stops sudo for everyone).
sudoers_new=$(mktemp)
cat >"$sudoers_new" <<'SUDOERS'
${renderSudoers(DEPLOY_USER, opts.dataDevice)}SUDOERS
if ! visudo -cqf "$sudoers_new"; then
  rm -f "$sudoers_new"
  echo "freshtrack-bootstrap: visudo refused the rendered sudo rules" >&2
  exit 1
fi
write_file ${SUDOERS_PATH} 0440 <"$sudoers_new" || true
rm -f "$sudoers_new"

# sshd: keys only, and no root login (or keys only for root, where root administers the host over SSH).
install -d -m 0755 /run/sshd
if write_file ${SSHD_DROP_IN} 0644 <<'SSHD'
${renderSshdHardening(opts.permitRootLogin ?? "no")}SSHD
then
  if ! sshd -t; then
    rm -f ${SSHD_DROP_IN}
    echo "freshtrack-bootstrap: sshd -t refused ${SSHD_DROP_IN}; removed it" >&2
    exit 1
  fi
  for unit in ssh.service sshd.service; do systemctl try-reload-or-restart "$unit" >/dev/null 2>&1 && break; done
fi
# The drop-in only counts where sshd_config includes sshd_config.d before its own settings: check what sshd uses.
sshd_effective=$(sshd -T)
for setting in "permitrootlogin ${opts.permitRootLogin ?? "no"}" "passwordauthentication no" "kbdinteractiveauthentication no"; do
  if ! grep -qxF "$setting" <<<"$sshd_effective"; then
    echo "freshtrack-bootstrap: sshd does not apply '$setting' (does /etc/ssh/sshd_config include /etc/ssh/sshd_config.d/*.conf at its top?)" >&2
    exit 1
  fi
done

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
${opts.minDockerMajor !== undefined ? renderDockerVersionCheck(opts.minDockerMajor) : ""}
# UFW (the same rules as the cloud firewall) and the deploy user's keys, through the helper that every later
# deploy runs again with the rules of the day (components/host/dropletHost.ts; the ssh target re-runs this script).
${writeFile(HOST_RULES_PATH, "0755", renderHostRulesScript(), "HOST_RULES_SCRIPT")}
${
    opts.hostRulesFirstBootOnly
        ? `if [ -e "\${FRESHTRACK_UFW_STATE:-${UFW_STATE}}" ]; then
  log "host rules: kept as the last deploy applied them (droplet-host-rules); this copy holds those of the first boot"
else
${HOST_RULES_PATH} <<'HOST_RULES'
${renderHostRules({ adminCidrs: opts.adminCidrs, sshPort, deployKeys: opts.deployKeys })}HOST_RULES
fi`
        : `${HOST_RULES_PATH} <<'HOST_RULES'
${renderHostRules({ adminCidrs: opts.adminCidrs, sshPort, deployKeys: opts.deployKeys })}HOST_RULES`
}

${writeFile("/etc/fail2ban/jail.d/freshtrack.local", "0644", renderFail2banJail(sshPort), "JAIL", "systemctl restart fail2ban")}
systemctl enable --now fail2ban >/dev/null 2>&1

# Old images go once no container uses them (see IMAGE_PRUNE_SERVICE).
${writeFile("/etc/systemd/system/freshtrack-image-prune.service", "0644", IMAGE_PRUNE_SERVICE, "PRUNE_SERVICE", "systemctl daemon-reload")}
${writeFile("/etc/systemd/system/freshtrack-image-prune.timer", "0644", IMAGE_PRUNE_TIMER, "PRUNE_TIMER", "systemctl daemon-reload")}
systemctl enable --now freshtrack-image-prune.timer >/dev/null 2>&1

${writeFile("/etc/apt/apt.conf.d/20auto-upgrades", "0644", AUTO_UPGRADES, "APT")}
systemctl enable --now unattended-upgrades >/dev/null 2>&1

install -d -m 0755 "$(dirname ${BOOTSTRAP_MARKER})"
date -u +%Y-%m-%dT%H:%M:%SZ >${BOOTSTRAP_MARKER}
log "done"
`;
}
