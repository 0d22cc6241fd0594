/**
 * SSH host keys are pinned: a Docker provider that reaches its daemon over SSH refuses any host
 * key but the one in its known_hosts (issue 15, finding 3). The provider hands `sshOpts` to the
 * `ssh` binary as given (docker/cli v28.5.2 cli/connhelper/ssh/ssh.go:125-127, called from
 * kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/config.go:168), so they decide.
 */
import { typePolicy } from "../lib";

export const DOCKER_PROVIDER = "pulumi:providers:docker";

/**
 * ssh's values for StrictHostKeyChecking, as its option parser reads them: only yes (or true)
 * refuses a host whose key is not already known (openssh-portable V_9_2_P1 readconf.c:825-834;
 * ssh_config.5:1806-1843). accept-new, no/off/false trust whichever
 * host answers first, and ask, without a terminal (the provider has none), trusts keys an
 * operator accepted by hand once.
 */
const REFUSES_UNKNOWN = new Set(["yes", "true"]);

/** The `-o` options in an ssh argument list, as [keyword (lower case), value] in the order ssh reads them. */
export function sshOptionValues(args: readonly string[]): Array<[string, string]> {
    const options: Array<[string, string]> = [];
    for (let i = 0; i < args.length; i++) {
        const arg = args[i]!;
        const text = arg === "-o" ? args[++i] : arg.startsWith("-o") ? arg.slice(2) : undefined;
        if (text === undefined) continue;
        // ssh_config(5): "keyword arguments" or "keyword=arguments".
        const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*?)\s*$/.exec(text);
        if (m) options.push([m[1]!.toLowerCase(), m[2]!.replace(/^"(.*)"$/, "$1")]);
    }
    return options;
}

/**
 * The value ssh uses for `keyword`: the first one given, as for every ssh option ("for each
 * parameter, the first obtained value will be used", ssh_config.5:59-60; command-line options come
 * before any file).
 */
function firstValue(options: Array<[string, string]>, keyword: string): string | undefined {
    return options.find(([k]) => k === keyword.toLowerCase())?.[1];
}

/** sshOpts as the provider's inputs hold it: a list, or (provider config) the list as JSON text. */
function sshOptsOf(props: Record<string, any>): string[] {
    const raw = props.sshOpts;
    if (raw === undefined || raw === null || raw === "") return [];
    const list = typeof raw === "string" ? (JSON.parse(raw) as unknown) : raw;
    return Array.isArray(list) ? list.map(String) : [];
}

/**
 * Untyped, by type token: validateResourceOfType cannot name a provider. docker.Provider's `__pulumiType` is "docker"
 * (@pulumi/docker 5.2.0 provider.js:39) while the engine sends its resources as "pulumi:providers:docker", and the
 * policy server matches a class by `__pulumiType` alone when it has one (@pulumi/policy v1.21.0
 * sdk/nodejs/policy/server.ts:282-291 and 641-660), so a typed check would never run.
 */
export const dockerSshHostKeyPinned = typePolicy({
    name: "docker-ssh-host-key-pinned",
    description:
        "A Docker provider that reaches its daemon over SSH accepts only the host key pinned in its known_hosts file. Fix: give sshOpts StrictHostKeyChecking=yes and a UserKnownHostsFile holding the host's key (components/host/deployKey.ts, dockerSshOptions).",
    enforcementLevel: "mandatory",
    types: [DOCKER_PROVIDER],
    check: (props, report) => {
        const host = props.host;
        if (typeof host !== "string" || !/^ssh:\/\//i.test(host)) return;
        const options = sshOptionValues(sshOptsOf(props));
        const strict = firstValue(options, "StrictHostKeyChecking");
        if (strict === undefined || !REFUSES_UNKNOWN.has(strict.toLowerCase())) {
            report(
                `reaches ${host} with StrictHostKeyChecking=${strict ?? "(not set: ask, which trusts any key accepted by hand once)"}, which accepts a host key it does not know.`,
            );
            return;
        }
        const file = firstValue(options, "UserKnownHostsFile");
        if (file === undefined || file === "/dev/null" || file.toLowerCase() === "none") {
            report(
                `reaches ${host} without a known_hosts file of its own (UserKnownHostsFile=${file ?? "(not set: the operator's ~/.ssh/known_hosts)"}), so nothing pins the host's key.`,
            );
        }
        const global = firstValue(options, "GlobalKnownHostsFile");
        if (global === undefined || (global !== "/dev/null" && global.toLowerCase() !== "none")) {
            report(
                `reaches ${host} trusting the machine's global known_hosts too (GlobalKnownHostsFile=${global ?? "(not set)"}); set it to /dev/null so only the pinned key counts.`,
            );
        }
    },
});
