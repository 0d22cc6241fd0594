/**
 * What a droplet the stack builds grants its operator, and the docs check against it (issue 17, friction 7), for
 * test/docsAccess.test.ts: the deploy user, its sudo rules and whether root may log in, read from the cloud-init the
 * real renderer (components/host/cloudInit.ts) makes for a shipped droplet stack; a model of sudo's matching; and the
 * check of a page, whose commands the docs' shared reader finds (commandWords.ts).
 */
import { expect } from "chai";
import * as path from "path";
import { SUDOERS_PATH } from "../../components/host/bootstrap";
import { renderCloudInit } from "../../components/host/cloudInit";
import { loadStackConfigFor } from "../../scripts/lib/stackFiles";
import { bootstrapFileOf, cloudInitOf, SAMPLE, SAMPLE_HOST_KEY } from "../hostsFixtures";
import { pageCommands } from "./commandWords";
import { copyLogins, doctlSsh, sshLine } from "./remoteLogins";
import { lines } from "./markdown";

/** One command of a `Cmnd_Alias` or user spec: its path and, when given, its arguments as written in sudoers. */
export interface SudoRule {
    readonly path: string;
    /** undefined: any arguments; `""`: none at all; otherwise exactly these (sudoers(5), quoted at sudoVerdict). */
    readonly args?: string;
}

/** What a droplet grants its operator, read from its rendered cloud-init. */
export interface HostAccess {
    readonly deployUser: string;
    readonly deployGroups: readonly string[];
    readonly passwordLocked: boolean;
    readonly permitRootLogin: string;
    /** The deploy user's rules that run as root without a password (the deploy user has none to give). */
    readonly sudo: readonly SudoRule[];
    /** What the cloud-init names of other ways to root (doas, polkit, pkexec, a password set with chpasswd). */
    readonly otherEscalation: readonly string[];
}

function splitUnescaped(text: string, sep: string): string[] {
    return text.split(new RegExp(`(?<!\\\\)${sep}`)).map((s) => s.trim());
}

/**
 * The rules of a sudoers file, for the subset the bootstrap renders: comments, `Cmnd_Alias`, and `user ALL=(runas)
 * TAG: list`. Anything else (Defaults, includes, negation, wildcards, regular expressions, directories) throws: the
 * model below does not match those the way sudo does, so a rule using one must fail this test, not pass it.
 */
export function parseSudoers(text: string): Map<string, Array<SudoRule & { runas: string; tags: string[] }>> {
    const aliases = new Map<string, SudoRule[]>();
    const byUser = new Map<string, Array<SudoRule & { runas: string; tags: string[] }>>();
    const command = (spec: string): SudoRule[] => {
        if (aliases.has(spec)) return aliases.get(spec)!;
        const m = /^(\/[^\s,:=\\*?[\]!]*[^/\s])(?:\s+(.+))?$/.exec(spec);
        if (!m) throw new Error(`sudoers: not a plain command path: ${spec}`);
        const args = m[2]?.trim();
        if (args !== undefined && (args.startsWith("^") || /[*?[\]\\]/.test(args)))
            throw new Error(`sudoers: wildcard, escape or regular expression in arguments, not modelled: ${spec}`);
        return [{ path: m[1]!, ...(args !== undefined ? { args } : {}) }];
    };
    const logical = text.replace(/\\\n\s*/g, " ").split("\n");
    for (const raw of logical) {
        const line = raw.trim();
        if (line === "" || (line.startsWith("#") && !/^#include/.test(line))) continue;
        const alias = /^Cmnd_Alias\s+([A-Z][A-Z0-9_]*)\s*=\s*(.+)$/.exec(line);
        if (alias) {
            aliases.set(alias[1]!, splitUnescaped(alias[2]!, ",").flatMap(command));
            continue;
        }
        const spec = /^([a-z_][a-z0-9_-]*)\s+ALL\s*=\s*\(([a-z_][a-z0-9_-]*)\)\s*((?:[A-Z_]+:\s*)*)(.+)$/.exec(line);
        if (!spec) throw new Error(`sudoers: a line this model does not read: ${line}`);
        const tags = [...spec[3]!.matchAll(/([A-Z_]+):/g)].map((t) => t[1]!);
        const rules = splitUnescaped(spec[4]!, ",").flatMap(command);
        byUser.set(spec[1]!, [...(byUser.get(spec[1]!) ?? []), ...rules.map((r) => ({ ...r, runas: spec[2]!, tags }))]);
    }
    return byUser;
}

/** The sudoers file the droplet's bootstrap installs: the heredoc it checks with visudo, then writes to sudoers.d. */
export function sudoersOf(script: string): string {
    const heredoc = /cat >"\$sudoers_new" <<'SUDOERS'\n([\s\S]*?)^SUDOERS$/m.exec(script);
    expect(heredoc, "the bootstrap writes the sudo rules from a heredoc").to.not.equal(null);
    expect(script).to.contain(`write_file ${SUDOERS_PATH} 0440 <"$sudoers_new"`);
    return heredoc![1]!;
}

type CloudUser = string | { name: string; groups?: string[]; lock_passwd?: boolean; ssh_authorized_keys?: string[] };

/**
 * The cloud-init the real renderer makes from a shipped droplet stack's own config, with sample keys. The volume's name
 * is the one components/host/dropletHost.ts gives it; test/docsAccess.stack.test.ts pins the two.
 */
export function renderedCloudInit(stack: string): string {
    const cfg = loadStackConfigFor(stack);
    return renderCloudInit({
        deployKeys: SAMPLE.deployKeys,
        adminCidrs: cfg.adminCidrs,
        volumeName: `${cfg.namePrefix}-data`,
        hostKey: SAMPLE_HOST_KEY,
    });
}

/** What a shipped droplet stack grants, from the cloud-init the program renders for the stack's own config. */
export function accessOf(stack: string): HostAccess {
    const text = renderedCloudInit(stack);
    const doc = cloudInitOf(text);
    const users = doc["users"] as CloudUser[];
    const deploy = users.find((u) => typeof u === "object" && (u.ssh_authorized_keys ?? []).length > 0);
    if (typeof deploy !== "object") throw new Error(`${stack}: cloud-init authorises no user's key`);
    const script = bootstrapFileOf(doc);
    const rules = parseSudoers(sudoersOf(script)).get(deploy.name) ?? [];
    return {
        deployUser: deploy.name,
        deployGroups: deploy.groups ?? [],
        passwordLocked: deploy.lock_passwd === true,
        permitRootLogin: /^PermitRootLogin (\S+)$/m.exec(script)?.[1] ?? "(not set)",
        sudo: rules.filter((r) => r.runas === "root" && r.tags.includes("NOPASSWD")),
        otherEscalation: [
            ...text.matchAll(/\b(?:doas|polkit|pkexec|pkla|chpasswd|(?:plain_text_|hashed_)?passwd)\b/gi),
        ].map((m) => m[0]),
    };
}

/**
 * Where sudo looks for a command named without a slash: secure_path, which Debian's /etc/sudoers sets (sudo
 * 1.9.13p3-1+deb12u4, /etc/sudoers:11; Ubuntu's adds /snap/bin at the end) and sudo uses in place of the user's PATH
 * (sudo SUDO_1_9_13p3 plugins/sudoers/sudoers.c:1010-1014).
 */
const SECURE_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * Why sudo would refuse `sudo <argv>` under `rules`, or undefined when it allows it. As sudo 1.9.13p3 matches:
 * - a command named without a slash is looked up in secure_path (above); the rule's path must then have the same base
 *   name and be that file (plugins/sudoers/match_command.c:693-718). The model takes a rule whose directory is on
 *   secure_path as that file: no earlier directory of secure_path holds another command of the name on a fresh host;
 * - "If no command line arguments are specified, the user may run the command with any arguments", `""` allows none,
 *   and given arguments "must match those given by the user on the command line" (sudoers(5), docs/sudoers.mdoc.in
 *   :1015-1033 at SUDO_1_9_13p3). They are compared as one string, the user's words joined by single spaces
 *   (plugins/sudoers/sudoers.c:1100, match_command.c:82-111); without wildcards that is equality.
 */
export function sudoVerdict(argv: readonly string[], rules: readonly SudoRule[]): string | undefined {
    let words = [...argv];
    while (words[0] === "-n" || words[0] === "--") words = words.slice(1);
    if (words[0]?.startsWith("-")) return `sudo ${words[0]}: no runbook needs a sudo option but -n`;
    const [cmd, ...args] = words;
    if (cmd === undefined) return "sudo without a command";
    if (words.some((w) => /["'`$\\*?]/.test(w))) return "quoting, substitution or a glob: write the words sudo gets";
    const named = rules.filter((r) =>
        cmd.includes("/")
            ? r.path === cmd
            : path.posix.basename(r.path) === cmd && SECURE_PATH.includes(path.posix.dirname(r.path)),
    );
    if (named.length === 0) return `no sudo rule names ${cmd}`;
    const given = args.join(" ");
    const allowed = named.some((r) => r.args === undefined || (r.args === '""' ? given === "" : r.args === given));
    if (allowed) return undefined;
    const forms = named.map((r) => (r.args === '""' ? `${cmd} alone` : `${cmd} ${r.args}`));
    return `${cmd} is allowed only as: ${forms.join("; ")}`;
}

/** Sentences that tell the operator to log in as root, or name a root login. */
const ROOT_LOGIN = [
    /\blog(?:s|ged|ging)?[\s-]?in(?:to)?\b[^.;]{0,60}?\bas\s+`?root`?(?![\w-])/i,
    /\bssh(?:es|ed|ing)?\b[^.;]{0,30}?\bas\s+`?root`?(?![\w-])/i,
    /\bas\s+`?root`?\s+with\s+\S+\s+own\s+key/i,
    /\broot@/,
];

/**
 * A word right before a login phrase that denies it ("root cannot log in", "no page logs in as root"): such a sentence
 * names no login. It must stand next to the phrase; "if you cannot reach it, log in as root" still tells one.
 */
const DENIED = /(?:\bno\s+[\w-]+|\bnobody|\bnever|\bcannot|\bcan't|\b(?:does|do|may|must)\s+not)\s+$/i;

/** Whether a sentence tells the operator to log in as root, or names a root login. */
function namesRootLogin(sentence: string): boolean {
    if (/Recovery Console/.test(sentence)) return false;
    return ROOT_LOGIN.some((re) =>
        [...sentence.matchAll(new RegExp(re.source, `${re.flags}g`))].some(
            (m) => !DENIED.test(sentence.slice(0, m.index)),
        ),
    );
}

/**
 * Commands that raise a user's rights by other ways than sudo, and why none works for the deploy user: its password is
 * locked (HostAccess.passwordLocked), and the cloud-init sets up no other way (accessOf, otherEscalation).
 */
const ESCALATION: Readonly<Record<string, string>> = {
    // util-linux v2.38.1 login-utils/su-common.c:1214 and 379-414: every su (runuser aside) authenticates through PAM
    // as the target user, that is with root's password.
    su: "su asks for root's password, which the stack never sets",
    pkexec: "pkexec asks polkit, and the stack gives the deploy user no password and no polkit rule",
    doas: "doas needs a doas.conf, which the stack never writes",
};

/** The sudo commands that run elsewhere than on a host the stack built, each with where and why. */
export const RUNS_ELSEWHERE: ReadonlyArray<{ file: string; command: string; why: string }> = [
    {
        file: "README.md",
        command: "sudo bash .ci/run",
        why: "the test set-up, run on the developer's own machine, which the stack did not build",
    },
];

/**
 * Every way a page asks for more access than `access` grants, as `file:line: why`. The commands are read by the docs'
 * shared reader (test/docsCheck/commandWords.ts): behind `time`, `env`, `nice`, `xargs` or `watch`, after `then` or
 * `do`, inside `$( ... )` and `sh -c`, and on the host, the command that `ssh`, `npm run ssh`, `doctl compute ssh`,
 * rsync's --rsync-path or sftp's -s hands to the host's shell, so that `npm run ssh -- prod -- 'sudo …'` is held to the
 * same rules as `sudo …`. Every login, by ssh, doctl, scp, sftp or rsync's remote shell, must be the deploy user's;
 * su, pkexec and doas are refused wherever they stand, as sudo outside its rules is.
 */
export function accessProblems(md: string, file: string, access: HostAccess, stack: string): string[] {
    const out: string[] = [];
    for (const { line, words } of pageCommands(md)) {
        const at = `${file}:${line}`;
        const text = words.join(" ");
        if (words[0] === "sudo" && words.length > 1) {
            if (RUNS_ELSEWHERE.some((e) => e.file === file && e.command === text)) continue;
            const argv = words.slice(1).map((w) => w.replace(/<stack>/g, stack));
            const why = sudoVerdict(argv, access.sudo);
            if (why) out.push(`${at}: \`${text}\`: ${why}`);
        }
        if (ESCALATION[words[0]!] !== undefined && !RUNS_ELSEWHERE.some((e) => e.file === file && e.command === text))
            out.push(`${at}: \`${text}\`: ${ESCALATION[words[0]!]}; the host grants root only through sudo's rules`);
        const logins = words[0] === "ssh" ? [sshLine(words)] : copyLogins(words);
        for (const login of logins) {
            const wrong = login.users.filter((u) => u !== access.deployUser);
            if (login.destination !== undefined && (login.users.length === 0 || wrong.length > 0))
                out.push(`${at}: \`${text}\` logs in as ${wrong[0] ?? "your local user"}, not ${access.deployUser}`);
        }
        const doctl = doctlSsh(words);
        if (doctl && doctl.user !== access.deployUser)
            out.push(`${at}: \`${text}\` logs in as ${doctl.user}, not ${access.deployUser} (--ssh-user)`);
    }
    let paragraph: Array<{ n: number; text: string }> = [];
    const flush = () => {
        const text = paragraph.map((p) => p.text).join(" ");
        for (const cell of text.split(/(?<!\\)\|/))
            for (const sentence of cell.split(/(?<=[.!?])\s+/))
                if (namesRootLogin(sentence))
                    out.push(`${file}:${paragraph[0]!.n}: a root login: "${sentence.trim()}"`);
        paragraph = [];
    };
    for (const l of lines(md)) {
        if (l.text.trim() === "" || /^\s*\|/.test(l.text)) flush();
        if (l.text.trim() !== "") paragraph.push({ n: l.n, text: l.text });
        if (/^\s*\|/.test(l.text)) flush();
    }
    flush();
    return out;
}
