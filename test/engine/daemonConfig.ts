/**
 * Which daemon settings the real-engine tests (rung 5) run under, and the
 * daemon.json `.ci/run` starts dockerd with.
 *
 * The droplet and ssh targets run Docker with the daemon.json the bootstrap
 * writes (components/host/bootstrap.ts, renderDaemonJson), the local target with
 * the operator's own daemon. CI runs one daemon with the bootstrap's settings
 * for every stack rather than a second daemon beside a stock one: two dockerd
 * in one network namespace would each own the same iptables chains (DOCKER,
 * DOCKER-ISOLATION-*), and the bridge driver clears them when it starts (moby
 * v20.10.24 vendor/github.com/docker/libnetwork/drivers/bridge/bridge.go:390, 405,
 * removeIPChains). The local stack loses nothing by it: it
 * publishes on 127.0.0.1 only, which both kinds of daemon forward the same way,
 * and every comparison uses the facts of the daemon that actually runs.
 *
 * Run as a script, it writes that daemon.json: `ts-node test/engine/daemonConfig.ts <path>`.
 */
import * as fs from "fs";
import { renderDaemonJson } from "../../components/host/bootstrap";
import { DaemonFacts, daemonFactsForVersion } from "../../scripts/lib/readBack/docker";
import { DOCKER_SOCKET, engine } from "./engineApi";

/** The bootstrap's daemon.json without a data root: CI keeps Docker's own. */
export function ciDaemonJson(): string {
    return renderDaemonJson();
}

/** The settings the bootstrap fixes that change what a container spec does on the daemon. */
const BOOTSTRAP_KEYS = [
    "userland-proxy",
    "ip6tables",
    "experimental",
    "live-restore",
    "no-new-privileges",
    "log-driver",
    "log-opts",
] as const;

export interface RunningDaemon {
    /** Server.Version, e.g. "20.10.24+dfsg1". */
    readonly version: string;
    /** The daemon.json it was started with, if one was found. */
    readonly daemonJson?: string;
    /** Where the settings came from, for the test's messages. */
    readonly source: string;
    /** What the read-back model needs to know about it (ipv6Networks still empty). */
    readonly facts: DaemonFacts;
    /** The bootstrap's settings this daemon does not have, as "key: want X, has Y"; empty when it runs with them. */
    readonly missingBootstrapSettings: readonly string[];
}

/** One dockerd flag's value from a command line: `--flag=value`, `--flag value`, or a bare boolean `--flag`. */
function flagValue(args: readonly string[], names: readonly string[], boolean = false): string | undefined {
    for (let i = 0; i < args.length; i++) {
        for (const name of names) {
            if (args[i]!.startsWith(`${name}=`)) return args[i]!.slice(name.length + 1);
            if (args[i] === name) return boolean ? "true" : args[i + 1];
        }
    }
    return undefined;
}

/** The command line of the dockerd that serves this client's socket, found in /proc (Linux only). */
function dockerdCommandLine(): string[] | undefined {
    if (!fs.existsSync("/proc")) return undefined;
    for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        let args: string[];
        try {
            args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
        } catch {
            continue;
        }
        if (!args[0] || !/(^|\/)dockerd$/.test(args[0])) continue;
        const hosts = args.flatMap((a, i) =>
            a === "-H" || a === "--host" ? [args[i + 1] ?? ""] : a.startsWith("--host=") ? [a.slice(7)] : [],
        );
        const sockets =
            hosts.length > 0
                ? hosts.filter((h) => h.startsWith("unix://")).map((h) => h.slice(7))
                : ["/var/run/docker.sock"];
        const same = (p: string) =>
            p === DOCKER_SOCKET ||
            p.replace(/^\/run\//, "/var/run/") === DOCKER_SOCKET.replace(/^\/run\//, "/var/run/");
        if (sockets.some(same)) return args;
    }
    return undefined;
}

/**
 * The daemon the tests talk to: its version, and its settings from the daemon.json `.ci/run` names
 * (FRESHTRACK_DOCKER_DAEMON_JSON), else from its own command line (`--config-file`, default
 * /etc/docker/daemon.json, and the flags that override it). Swap accounting comes from `docker info`.
 */
export async function runningDaemon(): Promise<RunningDaemon> {
    const version = (await engine<{ Version: string }>("GET", "/version")).Version;
    const info = await engine<{ SwapLimit?: boolean; ExperimentalBuild?: boolean; LiveRestoreEnabled?: boolean }>(
        "GET",
        "/info",
    );
    let daemonJson: string | undefined;
    let source = "no daemon.json found: Docker's defaults";
    const named = process.env.FRESHTRACK_DOCKER_DAEMON_JSON;
    const args = named ? undefined : dockerdCommandLine();
    const file = named ?? (args ? (flagValue(args, ["--config-file"]) ?? "/etc/docker/daemon.json") : undefined);
    if (file && fs.existsSync(file)) {
        daemonJson = fs.readFileSync(file, "utf8");
        source = file;
    }
    const settings: Record<string, unknown> = daemonJson ? (JSON.parse(daemonJson) as Record<string, unknown>) : {};
    for (const key of ["userland-proxy", "ip6tables", "experimental", "live-restore", "no-new-privileges"]) {
        const flag = args ? flagValue(args, [`--${key}`], true) : undefined;
        if (flag !== undefined) settings[key] = flag !== "false";
    }
    // What `docker info` itself reports wins over the file.
    if (info.ExperimentalBuild !== undefined) settings.experimental = info.ExperimentalBuild;
    if (info.LiveRestoreEnabled !== undefined) settings["live-restore"] = info.LiveRestoreEnabled;
    const facts = {
        ...daemonFactsForVersion(version, JSON.stringify(settings)),
        ...(info.SwapLimit !== undefined ? { swapLimit: info.SwapLimit } : {}),
    };

    const wanted = JSON.parse(ciDaemonJson()) as Record<string, unknown>;
    const missingBootstrapSettings = BOOTSTRAP_KEYS.filter(
        (k) => k in wanted && JSON.stringify(settings[k]) !== JSON.stringify(wanted[k]),
    ).map((k) => `${k} ${JSON.stringify(wanted[k])} (has ${JSON.stringify(settings[k]) ?? "the default"})`);
    return { version, ...(daemonJson !== undefined ? { daemonJson } : {}), source, facts, missingBootstrapSettings };
}

if (require.main === module) {
    const out = process.argv[2];
    if (!out) {
        console.error("usage: ts-node test/engine/daemonConfig.ts <path of the daemon.json to write>");
        process.exit(2);
    }
    fs.writeFileSync(out, ciDaemonJson());
}
