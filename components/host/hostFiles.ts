/**
 * The files the host bootstrap writes (daemon.json, the DOCKER-USER rules, fail2ban, UFW, sudoers, sshd), each rendered
 * by a pure function; components/host/bootstrap.ts puts them in one idempotent script.
 */
import { SERVICE_DEFAULTS } from "../service";
import { inboundRules } from "./firewallRules";

export const DEPLOY_USER = "deploy";
/** Where the droplet's block volume is mounted; Docker's data root lives on it. */
export const DATA_MOUNT = "/mnt/freshtrack-data";
/** Written last by the bootstrap; the deploy waits for it. */
export const BOOTSTRAP_MARKER = "/var/lib/freshtrack/bootstrap.done";
export const BOOTSTRAP_PATH = "/usr/local/sbin/freshtrack-bootstrap";

/**
 * Stops the bootstrap when the installed Docker is older than `min`. It runs after docker.io is
 * installed and started, so the message names the version the distribution really gave.
 */
export function renderDockerVersionCheck(min: number): string {
    return `docker_version=$(docker version --format '{{.Server.Version}}')
docker_major=\${docker_version%%.*}
case "$docker_major" in
  ''|*[!0-9]*) echo "freshtrack-bootstrap: cannot read Docker's version from '$docker_version'" >&2; exit 1 ;;
esac
if [ "$docker_major" -lt ${min} ]; then
  echo "freshtrack-bootstrap: Docker $docker_version is older than ${min}, which this host needs: Caddy publishes its ports on IPv4 and IPv6, and an older daemon reports them in an order that would replace Caddy on every pulumi up. Use an image whose docker.io is ${min} or newer, such as ubuntu-24-04-x64 (freshtrack:droplet.image)." >&2
  exit 1
fi
`;
}

export type PermitRootLogin = "no" | "prohibit-password";

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
        // So a port published on `::` reaches a container only by ip6tables NAT to the container's own IPv6 address
        // (moby v27.5.1 libnetwork/drivers/bridge/port_mapping_linux.go:97-111, 463-531); Caddy has one on the edge
        // network (components/platform/networks.ts). ip6tables is on by default from Docker 27.0 (moby v27.5.1
        // cmd/dockerd/config_unix.go:31) and off before (v26.1.3 :31, v20.10.24 :38); without it the binding is
        // reserved but nothing forwards it.
        ip6tables: true,
        // Before 27.0 the daemon refuses to start with ip6tables unless experimental features are on (moby v26.1.3
        // daemon/daemon_unix.go:743-745, v24.0.7 :746-748, v20.10.24 :750-752). The bootstrap installs whatever
        // docker.io the distribution has (Debian 12: 20.10.24; Ubuntu 24.04: 24.0.7 at release, later upstream
        // releases through noble-updates), so it is set for those; from 27.0 it only opens the checkpoint API
        // (v27.5.1 api/server/router/checkpoint/checkpoint.go:32-34), which needs CRIU, not installed here.
        experimental: true,
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
default_if() { ip "$@" route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }'; }
public_if4=$(default_if -4)
if [ -z "$public_if4" ]; then
  echo "freshtrack-docker-user: no default route, so no public interface to filter" >&2
  exit 1
fi
# IPv6 may leave by another interface; without an IPv6 default route, the IPv4 one stands in.
public_if6=$(default_if -6)
apply() {
  local tool=$1 ext_if=$2
  command -v "$tool" >/dev/null 2>&1 || return 0
  "$tool" -N DOCKER-USER 2>/dev/null || true
  "$tool" -F DOCKER-USER
  "$tool" -A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN
  # A droplet's metadata service hands out its user data, which holds the SSH host's private key
  # (components/host/cloudInit.ts): no container may reach it, whatever it is made to fetch.
  if [ "$tool" = iptables ]; then "$tool" -A DOCKER-USER -d 169.254.169.254/32 -j DROP; fi
  "$tool" -A DOCKER-USER -i "$ext_if" -p tcp -m conntrack --ctorigdstport 80 -j RETURN
  "$tool" -A DOCKER-USER -i "$ext_if" -p tcp -m conntrack --ctorigdstport 443 -j RETURN
  "$tool" -A DOCKER-USER -i "$ext_if" -j DROP
  "$tool" -A DOCKER-USER -j RETURN
  # Docker jumps to DOCKER-USER from FORWARD itself, for ip6tables too from 24.0 with ip6tables on (moby v24.0.7
  # libnetwork/firewall_linux.go:33); 20.10 does so for iptables only (v20.10.24 vendor/github.com/docker/libnetwork/
  # firewall_linux.go:29-30), so the jump is added where it is missing.
  "$tool" -C FORWARD -j DOCKER-USER 2>/dev/null || "$tool" -I FORWARD -j DOCKER-USER
}
apply iptables "$public_if4"
apply ip6tables "\${public_if6:-$public_if4}"
`;
}

export const DOCKER_USER_UNIT = `[Unit]
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

/** docker.service's drop-in on a host whose Docker data root is on a mounted volume (renderDockerDataMountDropIn). */
export const DOCKER_DATA_MOUNT_DROP_IN = "/etc/systemd/system/docker.service.d/freshtrack-data-mount.conf";

/**
 * Keeps dockerd from starting until the data volume is mounted, at every boot and not only the first. cloud-init
 * writes the volume to /etc/fstab with the options it is given (`nofail` among them; its defaults fill only missing
 * fields) and `comment=cloudconfig` added (cloud-init 24.1.3 cloudinit/config/cc_mounts.py:505-511, 578, 608; 22.4.2
 * :493-499, 566, 596). With `nofail`, systemd-fstab-generator makes local-fs.target only want the mount and leaves out
 * its Before=local-fs.target (systemd v255.4, Ubuntu 24.04's, src/fstab-generator/fstab-generator.c:603-604, 697;
 * v252.31 :454-455, 531; systemd.mount(5) "nofail", man/systemd.mount.xml:455-460 at v255.4), so docker.service,
 * which reaches the local file systems only through sysinit.target (units/sysinit.target:14-15), is ordered after
 * nothing that mounts the volume. A daemon that finds its data root missing creates it (moby v27.5.1
 * daemon/daemon_unix.go:1226-1227, v20.10.24 :1214-1215): a late or detached volume would start Docker empty on the
 * droplet's own disk, where a refresh finds no container and the next `pulumi up` creates them all again on empty
 * volumes. RequiresMountsFor= adds Requires= and After= on every mount unit needed to reach the path (systemd.unit(5),
 * v255.4 man/systemd.unit.xml:907-912), and a required unit that fails keeps the unit ordered after it from starting
 * (:662-666). A start through docker.socket is the same start of docker.service (systemd.socket(5) Service=,
 * man/systemd.socket.xml:812-820; moby v27.5.1 contrib/init/systemd/docker.socket names no other service), so the
 * socket needs no drop-in of its own.
 */
export function renderDockerDataMountDropIn(dataMount: string): string {
    // A space separates paths in RequiresMountsFor= and `%` starts a specifier: take a plain absolute path only.
    if (!/^\/[A-Za-z0-9/_.-]+$/.test(dataMount))
        throw new Error(`renderDockerDataMountDropIn: ${JSON.stringify(dataMount)} is not a plain absolute path`);
    return `# Rendered by components/host/bootstrap.ts: Docker's data root is on ${dataMount}, so dockerd starts only
# once it is mounted, and not at all without it.
[Unit]
RequiresMountsFor=${dataMount}
`;
}

/**
 * Images no container uses are removed once they are older than this; the previous releases stay for a quick rollback.
 */
export const IMAGE_PRUNE_AGE_HOURS = 30 * 24;

/**
 * Every `pulumi up` that moves to a new version pulls new images, and the provider leaves the old
 * ones on the host (keepLocally, components/service.ts), so without this the disk fills release by
 * release. The daemon's prune removes only images no container uses, stopped ones included: each
 * deletion goes through ImageDelete without force, which refuses an image a container still uses,
 * and `until` keeps every image created after the cut-off (moby v27.5.1 daemon/images/image_prune.go:78,
 * 118-121). A rollback to a release pruned here pulls it again from the registry.
 */
export const IMAGE_PRUNE_SERVICE = `[Unit]
Description=FreshTrack: remove images no container uses, created more than ${IMAGE_PRUNE_AGE_HOURS} hours ago
After=docker.service
Requires=docker.service

[Service]
Type=oneshot
ExecStart=/usr/bin/docker image prune --all --force --filter until=${IMAGE_PRUNE_AGE_HOURS}h
`;

export const IMAGE_PRUNE_TIMER = `[Unit]
Description=FreshTrack: daily removal of unused images

[Timer]
OnCalendar=daily
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
`;

/**
 * fail2ban's sshd jail. Debian's jail.conf (fail2ban 1.0.2-2, as upstream fail2ban/fail2ban@1.0.2
 * config/jail.conf:280) says `port = ssh`, the service name of 22, and its default ban action
 * (iptables-multiport, jail.conf:208, 212) blocks an offender on those ports only; on an sshd at
 * another port the ban would block nothing. So the jail names the port sshd listens on.
 */
/**
 * The jail reads sshd's log from the journal (backend = systemd), which fail2ban does through python3-systemd;
 * Debian's fail2ban only recommends that package (1.0.2-2: "Recommends: nftables | iptables, whois,
 * python3-pyinotify, python3-systemd"), the bootstrap installs with --no-install-recommends, and without it
 * the server starts but the jail does not ("Backend 'systemd' failed to initialize"), so the bootstrap names it.
 */
export function renderFail2banJail(sshPort: number): string {
    return `[sshd]
enabled = true
backend = systemd
port = ${sshPort}
maxretry = 5
findtime = 10m
bantime = 1h
`;
}

/**
 * How long apt may wait for the package manager's locks, in seconds. On a first boot cloud-init
 * and the apt-daily/unattended-upgrades timers run apt at the same time as the bootstrap, and a
 * first unattended-upgrades run on an old image can take many minutes; a lock held longer than
 * this still fails the bootstrap, with apt's message, rather than hanging it.
 */
export const APT_LOCK_WAIT_SECONDS = 900;

export const AUTO_UPGRADES = `APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
`;

/** UFW rules, one `ufw` argument list a line: the same rules as the cloud firewall. */
export function renderUfwRules(adminCidrs: readonly string[], sshPort: number): string {
    return (
        inboundRules(adminCidrs, sshPort)
            .flatMap((rule) =>
                rule.sources.map(
                    (source) =>
                        `allow proto ${rule.protocol} from ${source} to any port ${rule.port} comment ${rule.name}`,
                ),
            )
            .join("\n") + "\n"
    );
}

/** Where the bootstrap records the UFW rules it added, so a later run can remove those no longer wanted. */
export const UFW_STATE = "/var/lib/freshtrack/ufw-rules";

/**
 * Where the bootstrap installs the helper that applies the host rules (UFW, the deploy user's keys) read from stdin.
 */
export const HOST_RULES_PATH = "/usr/local/sbin/freshtrack-host-rules";
/**
 * The deploy user's sudo rules. sudo reads every file in /etc/sudoers.d whose name has no `.` and
 * does not end in `~` (sudoers(5) of sudo 1.9.13p3, "Including other files from within sudoers").
 */
export const SUDOERS_PATH = "/etc/sudoers.d/freshtrack-deploy";
/**
 * sshd takes the first value it reads for a setting, and Debian's and Ubuntu's sshd_config include
 * sshd_config.d/*.conf at the top, in name order (sshd_config(5), "Include"), so `00-` puts these
 * ahead of cloud-init's `50-cloud-init.conf` and of the main file. The bootstrap checks with
 * `sshd -T` that they are what sshd really uses.
 */
export const SSHD_DROP_IN = "/etc/ssh/sshd_config.d/00-freshtrack.conf";

/** write_file PATH MODE < content, as the bootstrap and the host-rules helper define it. */
export const WRITE_FILE_FN = `# write_file PATH MODE < content: replaces PATH only when the content differs.
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
`;

export const APPLY_UFW_RULES_FN = `# apply_ufw_rules < rules: one \`ufw\` argument list a line. Adds the rules (ufw skips
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
`;

/**
 * What the host-rules helper reads on stdin: the UFW rules (renderUfwRules) under `[ufw]` and the
 * deploy user's public keys under `[authorized_keys]`. Data, not a script: the helper runs as root
 * through sudo, so it acts only on lines of these two shapes (renderHostRulesScript).
 */
export function renderHostRules(opts: {
    adminCidrs: readonly string[];
    sshPort: number;
    deployKeys: readonly string[];
}): string {
    const keys = opts.deployKeys.map((k) => k.trim());
    return `[ufw]\n${renderUfwRules(opts.adminCidrs, opts.sshPort)}[authorized_keys]\n${keys.join("\n")}\n`;
}

/**
 * The helper the deploy user may run as root (sudo, renderSudoers) to bring UFW and its own keys
 * in line with config: cloud-init runs the bootstrap once, so without it a droplet's UFW and keys
 * would keep the values of its first boot while the cloud firewall follows config. It refuses any
 * line that is not a UFW allow rule of the program's own shape or a public key, and a list without
 * an SSH rule or without a key, which would lock everyone out; sudo clears the caller's environment
 * (env_reset), so nothing but stdin reaches it.
 */
export function renderHostRulesScript(): string {
    return `#!/usr/bin/env bash
# freshtrack-host-rules, rendered by components/host/bootstrap.ts: applies the UFW rules and the
# ${DEPLOY_USER} user's SSH keys read from stdin. Idempotent; run by the bootstrap and by every deploy.
set -euo pipefail

log() { printf '[freshtrack-host-rules] %s\\n' "$*"; }
fail() { printf 'freshtrack-host-rules: %s\\n' "$*" >&2; exit 1; }

${WRITE_FILE_FN}
${APPLY_UFW_RULES_FN}
[ "$(id -u)" -eq 0 ] || fail "must run as root (sudo -n ${HOST_RULES_PATH})"

ufw_rule='^allow proto tcp from [0-9A-Fa-f.:]+/[0-9]{1,3} to any port [0-9]{1,5} comment freshtrack-(http|https|ssh)$'
key_line='^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) [A-Za-z0-9+/]+={0,2}( [[:print:]]*)?$'
section='' rules='' keys=''
while IFS= read -r line || [ -n "$line" ]; do
  case $line in
    '') continue ;;
    '[ufw]') section=ufw; continue ;;
    '[authorized_keys]') section=keys; continue ;;
  esac
  case $section in
    ufw) [[ $line =~ $ufw_rule ]] || fail "refusing a line that is not a FreshTrack UFW rule: $line"; rules+="$line"$'\\n' ;;
    keys) [[ $line =~ $key_line ]] || fail "refusing a line that is not one public key: $line"; keys+="$line"$'\\n' ;;
    *) fail "a line before [ufw] or [authorized_keys]: $line" ;;
  esac
done
grep -q ' comment freshtrack-ssh$' <<<"$rules" || fail "no SSH rule: applying these rules would lock everyone out"
# The user and home are settable for the tests only: sudo clears the environment, so the deploy user cannot set them.
user=\${FRESHTRACK_DEPLOY_USER:-${DEPLOY_USER}}
home=\${FRESHTRACK_DEPLOY_HOME:-/home/$user}
[ -n "$keys" ] || fail "no key for $user: applying these would lock the deploys out"
id -u "$user" >/dev/null 2>&1 || fail "no user $user (the bootstrap creates it)"

install -d -m 0700 -o "$user" -g "$(id -g "$user")" "$home/.ssh"
if printf '%s' "$keys" | write_file "$home/.ssh/authorized_keys" 0600; then
  chown "$user:" "$home/.ssh/authorized_keys"
fi

ufw default deny incoming >/dev/null
ufw default allow outgoing >/dev/null
printf '%s' "$rules" | apply_ufw_rules
ufw --force enable >/dev/null
log "applied $(grep -c . <<<"$rules") ufw rules and $(grep -c . <<<"$keys") keys"
`;
}

/**
 * The deploy user's sudo rules: the root commands docs/operations.md and docs/troubleshooting.md
 * ask for, each with its exact arguments, and nothing else. `""` as the only argument allows the
 * command with no arguments at all (sudoers(5) of sudo 1.9.13p3, "Exceptions to wildcard rules");
 * no rule has a wildcard. The deploy user is in the docker group, which is root-equivalent on its
 * own (docs/operations.md, "Host access"); the rules exist so that no runbook needs a root login.
 */
export function renderSudoers(user: string, dataDevice?: string): string {
    if (!/^[a-z_][a-z0-9_-]*$/.test(user))
        throw new Error(`renderSudoers: ${JSON.stringify(user)} is not a user name sudoers can take bare`);
    if (dataDevice !== undefined && !/^\/dev\/[A-Za-z0-9/_.-]+$/.test(dataDevice))
        throw new Error(`renderSudoers: ${JSON.stringify(dataDevice)} is not a device path`);
    const commands = [
        // Droplets: the bootstrap as cloud-init installed it (the ssh target runs it from stdin and has no copy).
        `${BOOTSTRAP_PATH} ""`,
        `${HOST_RULES_PATH} ""`,
        "/usr/sbin/ufw status",
        "/usr/sbin/ufw status verbose",
        "/usr/sbin/ufw status numbered",
        "/usr/bin/ss -ltnp",
        "/usr/bin/systemctl start docker",
        "/usr/bin/cat /var/log/cloud-init-output.log",
        ...(dataDevice ? [`/usr/sbin/resize2fs ${dataDevice}`] : []),
    ];
    return `# Rendered by components/host/bootstrap.ts: what ${user} may run as root, and nothing else.
Cmnd_Alias FRESHTRACK_HOST = ${commands.join(", \\\n    ")}
${user} ALL=(root) NOPASSWD: FRESHTRACK_HOST
`;
}

/** The sshd settings every remote host gets: public keys only, and root only with a key when root administers it. */
export function renderSshdHardening(permitRootLogin: PermitRootLogin): string {
    return `# Rendered by components/host/bootstrap.ts: keys only, no root login by password.
PermitRootLogin ${permitRootLogin}
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
`;
}
