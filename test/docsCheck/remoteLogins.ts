/**
 * Who a command of the docs logs in as on another machine, and what it runs there, read as each program reads its own
 * argv: ssh (sshLine), `doctl compute ssh` (doctlSsh), `npm run ssh` (npmRunSshCommand), and the logins scp, sftp and
 * rsync make through ssh (copyLogins) with what rsync and sftp run beside their server (copyHostCommand). The docs'
 * shell reader (commandWords.ts) reads the commands these hand to a host's shell; the access check (hostAccess.ts)
 * holds every login to the deploy user.
 */
import { npmScriptArgs } from "../../scripts/lib/commandLine";
import { shellCommands } from "./shellWords";

/** What an `ssh` command line logs in as and runs: OpenSSH's reading of its argv (V_9_2_P1). */
export interface SshLine {
    /** Every user it names: -l, -o User=, user@ and ssh://user@ (the first given wins: ssh.c:973-975, 1071-1091). */
    readonly users: readonly string[];
    readonly destination?: string;
    /** The words after the destination, joined with spaces for the host's shell (ssh.c:1129-1135). */
    readonly command?: string;
}

/** The options of OpenSSH's ssh that take a value (openssh-portable V_9_2_P1 ssh.c:710-711, its getopt string). */
const SSH_OPTIONS_WITH_VALUE = new Set([..."bceilmopBDEFIJLOQRSwW"]);

/**
 * An `ssh` command line (`words[0]` is `ssh`). Its getopt does not reorder words (openbsd-compat/getopt_long.c:494-497,
 * used on glibc: defines.h:662): options end at the destination; after it, options are read once more unless `--`
 * came first (ssh.c:1061-1062, 1100-1103); what is left is the command.
 */
export function sshLine(words: readonly string[]): SshLine {
    const users: string[] = [];
    let i = 1;
    let terminated = false;
    const options = (): void => {
        for (; i < words.length && words[i]!.startsWith("-") && words[i] !== "-"; i++) {
            if (words[i] === "--") {
                i++;
                terminated = true;
                return;
            }
            const flags = words[i]!;
            for (let j = 1; j < flags.length; j++) {
                if (!SSH_OPTIONS_WITH_VALUE.has(flags[j]!)) continue;
                const value = flags.slice(j + 1) || words[++i] || "";
                if (flags[j] === "l") users.push(value);
                const user = flags[j] === "o" ? /^User(?:\s*=\s*|\s+)(\S+)$/i.exec(value) : null;
                if (user) users.push(user[1]!);
                break;
            }
        }
    };
    options();
    const destination = words[i];
    if (destination === undefined) return { users };
    const at = /^(?:ssh:\/\/)?([^@/]+)@/.exec(destination);
    if (at) users.push(at[1]!);
    i++;
    if (!terminated) options();
    return { users, destination, ...(i < words.length ? { command: words.slice(i).join(" ") } : {}) };
}

/** What one of OpenSSH's scp or sftp reads from its argv: its options (with their values) and its operands. */
function bsdGetopt(words: readonly string[], valued: string): { options: Array<[string, string]>; operands: string[] } {
    const options: Array<[string, string]> = [];
    let i = 1;
    for (; i < words.length && words[i]!.startsWith("-") && words[i] !== "-"; i++) {
        if (words[i] === "--") {
            i++;
            break;
        }
        const flags = words[i]!;
        for (let j = 1; j < flags.length; j++) {
            if (!valued.includes(flags[j]!)) {
                options.push([flags[j]!, ""]);
                continue;
            }
            options.push([flags[j]!, flags.slice(j + 1) || (words[++i] ?? "")]);
            break;
        }
    }
    return { options, operands: words.slice(i) };
}

/** The user a `<scheme>://[user[;params]@]host...` operand names, URL-decoded (misc.c:969-1000), if it is one. */
function uriUser(word: string, scheme: string): { user?: string } | undefined {
    if (!word.startsWith(`${scheme}://`)) return undefined;
    const info = /^([^@/]*)@/.exec(word.slice(scheme.length + 3))?.[1];
    if (info === undefined) return {};
    const user = info.split(";")[0]!;
    try {
        return { user: decodeURIComponent(user) };
    } catch {
        return { user };
    }
}

/**
 * The user of a `[user@]host:path` operand, if the operand is remote: OpenSSH's colon() (a `:` before any `/`, not
 * leading, `[...]` around an IPv6 address: misc.c:745-766), then the text before the last `@` of the host part
 * (parse_user_host_path, misc.c:777-836).
 */
function hostPathUser(word: string): { user?: string } | undefined {
    if (word.startsWith(":")) return undefined;
    let bracket = word.startsWith("[");
    let colon = -1;
    for (let k = 0; k < word.length && colon < 0; k++) {
        if (word[k] === "@" && word[k + 1] === "[") bracket = true;
        if (word[k] === "]" && word[k + 1] === ":" && bracket) colon = k + 1;
        else if (word[k] === ":" && !bracket) colon = k;
        else if (word[k] === "/") return undefined;
    }
    if (colon < 0) return undefined;
    const host = word.slice(0, colon);
    const at = host.lastIndexOf("@");
    return at > 0 ? { user: host.slice(0, at) } : {};
}

/**
 * The ssh command line a login made for another program would be: `ssh`, the options it passes on, `-l <user>` for a
 * user its operand names (the way scp.c:341-344, sftp.c:2628-2631 and rsync's main.c:572-575 add it), and the host.
 */
function sshLineFor(passed: readonly string[], user: string | undefined, host: string): SshLine {
    return sshLine(["ssh", ...passed, ...(user !== undefined ? ["-l", user] : []), host]);
}

/** The short options of OpenSSH's scp and sftp that take a value (V_9_2_P1 scp.c:506-507, sftp.c:2452-2453). */
const SCP_VALUED = "DFJMPSciloX";
const SFTP_VALUED = "cDilosSbBFJPRX";

/**
 * The ssh logins an scp, sftp or rsync command line makes, each read as the ssh command line it runs (OpenSSH
 * V_9_2_P1, rsync v3.2.7). Their `-l` is a bandwidth limit, not a user (scp.c:557-564, sftp.c:2527-2533); the user
 * is an operand's `user@`, or a `-o User=` they pass to ssh (scp.c:532-541, sftp.c:2463-2470). scp logs in once per
 * remote operand (`[user@]host:path` or `scp://`: scp.c:692, 1043-1071, 1234-1241), sftp to its one destination
 * (`sftp://`, `[user@]host[:path]`: sftp.c:2597-2617); neither logs in with -D, which runs a local sftp-server
 * (scp.c:523-525, sftp.c:2524-2525, 2592). rsync logs in to a remote first or last operand (main.c:1409-1475) through
 * its remote shell: -e/--rsh split on spaces, quotes kept together (main.c:511-549), ssh by default (configure.ac:
 * 207-211), given `-l <user>` for the operand's user and then the host (main.c:572-584). A daemon operand (`host::`,
 * `rsync://`) logs in nowhere unless -e gives it a remote shell. Not read: a user or jump host in an ssh_config file
 * (-F), ssh's -J, RSYNC_RSH in the environment (main.c:512-514).
 */
export function copyLogins(words: readonly string[]): SshLine[] {
    if (words[0] === "scp" || words[0] === "sftp") {
        const scp = words[0] === "scp";
        const { options, operands } = bsdGetopt(words, scp ? SCP_VALUED : SFTP_VALUED);
        if (options.some(([o]) => o === "D")) return [];
        const passed = options.filter(([o]) => o === "o").flatMap(([, v]) => ["-o", v]);
        const remote = (scp ? operands : operands.slice(0, 1)).flatMap((w) => {
            const uri = uriUser(w, words[0]!);
            const found = uri ?? hostPathUser(w) ?? (scp ? undefined : { user: /^(.+)@/.exec(w)?.[1] });
            return found === undefined ? [] : [{ user: found.user, host: w }];
        });
        return remote.map((r) => sshLineFor(passed, r.user, r.host));
    }
    if (words[0] !== "rsync") return [];
    const { rsh, operands } = rsyncArgs(words);
    const ends = [operands[0], operands[operands.length - 1]].filter((w): w is string => w !== undefined);
    for (const w of ends) {
        const spec = rsyncHostspec(w);
        if (spec === undefined || (spec.daemon && rsh === undefined)) continue;
        const shellWords = shellCommands(rsh ?? "ssh")[0]?.words ?? ["ssh"];
        return [sshLineFor(shellWords.slice(1), spec.user, spec.host)];
    }
    return [];
}

/** rsync's options that take a value (v3.2.7 options.c:589-843, POPT_ARG_STRING and POPT_ARG_INT entries). */
const RSYNC_VALUED_SHORT = "@fBeTM";
const RSYNC_VALUED_LONG = new Set(
    [
        "info debug stderr modify-window chmod max-size min-size max-alloc max-delete filter exclude include",
        "exclude-from include-from checksum-choice cc block-size compare-dest copy-dest link-dest compress-choice zc",
        "skip-compress compress-level zl partial-dir log-file log-file-format out-format log-format bwlimit backup-dir",
        "suffix read-batch write-batch only-write-batch files-from usermap groupmap chown timeout contimeout",
        "stop-after time-limit stop-at rsh rsync-path temp-dir iconv copy-as address port sockopts password-file",
        "early-input outbuf remote-option protocol checksum-seed",
    ].flatMap((l) => l.split(" ")),
);

/** rsync's remote shell, --rsync-path and operands; popt takes options anywhere before `--`. */
function rsyncArgs(words: readonly string[]): { rsh?: string; rsyncPath?: string; operands: string[] } {
    const options = new Map<string, string>();
    const operands: string[] = [];
    for (let i = 1; i < words.length; i++) {
        const w = words[i]!;
        if (w === "--") {
            operands.push(...words.slice(i + 1));
            break;
        }
        const long = /^--([^=]+)(?:=(.*))?$/s.exec(w);
        if (long) {
            const value = long[2] ?? (RSYNC_VALUED_LONG.has(long[1]!) ? (words[++i] ?? "") : "");
            options.set(long[1] === "rsh" ? "e" : long[1]!, value);
        } else if (w.length > 1 && w.startsWith("-")) {
            for (let j = 1; j < w.length; j++) {
                if (!RSYNC_VALUED_SHORT.includes(w[j]!)) continue;
                options.set(w[j]!, w.slice(j + 1) || (words[++i] ?? ""));
                break;
            }
        } else operands.push(w);
    }
    const rsh = options.get("e");
    const rsyncPath = options.get("rsync-path");
    return { operands, ...(rsh !== undefined ? { rsh } : {}), ...(rsyncPath !== undefined ? { rsyncPath } : {}) };
}

/**
 * An rsync operand's host and user, when it names another machine (check_for_hostspec and parse_hostspec, v3.2.7
 * options.c:3033-3110; the user is what comes before the host's last `@`, main.c:1564-1571): `[user@]host:path`, or a
 * daemon's `[user@]host::module` and `rsync://[user@]host[:port]/module`.
 */
function rsyncHostspec(word: string): { host: string; user?: string; daemon: boolean } | undefined {
    const url = /^rsync:\/\//i.exec(word);
    const rest = url ? word.slice(url[0].length) : word;
    const m = /^((?:[^:/@]*@)*)(\[[^\]/]*\]|[^:/[]*)(:?)/.exec(rest);
    if (!m || (!url && m[3] !== ":") || m[2] === "") return undefined;
    const user = m[1] ? m[1].slice(0, -1) : undefined;
    const daemon = url !== null || rest[m[0].length] === ":";
    return { host: m[2]!, daemon, ...(user ? { user } : {}) };
}

/**
 * The command an scp, sftp or rsync command line hands to the host's shell beside its own server: rsync's
 * --rsync-path, run there before the server's options (main.c:587-596), and sftp's -s when it holds a `/`, which is
 * run as a command rather than asked for as a subsystem (sftp.c:2633-2640).
 */
export function copyHostCommand(words: readonly string[]): string | undefined {
    if (words[0] === "sftp") {
        const server = bsdGetopt(words, SFTP_VALUED).options.find(([o]) => o === "s")?.[1];
        return server?.includes("/") && copyLogins(words).length > 0 ? server : undefined;
    }
    if (words[0] !== "rsync" || copyLogins(words).length === 0) return undefined;
    const { rsyncPath } = rsyncArgs(words);
    return `${rsyncPath ?? "rsync"} --server`;
}

/** doctl's flags that take a value on the `compute ssh` path (doctl v1.166.0 commands/doit.go:77-116, ssh.go:47-53). */
const DOCTL_VALUED = new Set([
    "config",
    "c",
    "api-url",
    "u",
    "access-token",
    "t",
    "output",
    "o",
    "context",
    "http-retry-max",
    "http-retry-wait-max",
    "http-retry-wait-min",
    "ssh-user",
    "ssh-key-path",
    "ssh-port",
    "ssh-command",
    "ssh-retry-max",
]);

/**
 * `doctl compute ssh <droplet>`: the user it logs in as and the command it runs there. The user is --ssh-user, root by
 * default (doctl v1.166.0 commands/ssh.go:47), or the `user@` of a droplet given by name (ssh.go:31, 125-129, 184-196);
 * an empty one is root too (ssh.go:152-154, 169-176). --ssh-command is run by the droplet's shell (ssh.go:52, 91;
 * pkg/ssh/ssh.go:63-64). Flags are read as pflag reads them: `--name=value`, `--name value`, `-c value`.
 */
export function doctlSsh(words: readonly string[]): { user: string; command?: string } | undefined {
    if (words[0] !== "doctl") return undefined;
    const positional: string[] = [];
    const flags = new Map<string, string>();
    for (let i = 1; i < words.length; i++) {
        const w = words[i]!;
        const m = /^--?([\w-]+)(?:=(.*))?$/.exec(w);
        if (w === "--") {
            positional.push(...words.slice(i + 1));
            break;
        } else if (m && w !== "-") {
            flags.set(m[1]!, m[2] ?? (DOCTL_VALUED.has(m[1]!) ? (words[++i] ?? "") : "true"));
        } else positional.push(w);
    }
    if (positional[0] !== "compute" || positional[1] !== "ssh" || positional[2] === undefined) return undefined;
    const droplet = positional[2];
    const named = /^\d+$/.test(droplet) ? undefined : /^(\w+)@/.exec(droplet)?.[1];
    const user = named ?? (flags.get("ssh-user") || "root");
    const command = flags.get("ssh-command");
    return { user, ...(command ? { command } : {}) };
}

/** `npm run ssh -- <stack> -- <command>`: the words after the second `--`, joined as scripts/ssh.ts (main) does. */
export function npmRunSshCommand(words: readonly string[]): string | undefined {
    const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(" ");
    const run = words[0] === "npm" ? npmScriptArgs(quoted) : undefined;
    if (run?.script !== "ssh") return undefined;
    const dashes = run.args.indexOf("--");
    return dashes < 0 || dashes === run.args.length - 1 ? undefined : run.args.slice(dashes + 1).join(" ");
}
