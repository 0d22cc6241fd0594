/**
 * Every command the docs give for a host the stack built runs with the access that host grants (issue 17, friction
 * 7): `sudo` only for a command the deploy user's sudo rules name, with the same arguments; every `ssh` login as the
 * deploy user; no page telling the operator to log in as root. The rules are read from the cloud-init that the real
 * renderer (components/host/cloudInit.ts) makes for each shipped droplet stack, never copied here.
 *
 * Rung 1 (unit): a model of sudo's matching, checked against made-up pages. test/docsAccess.stack.test.ts shows that
 * the cloud-init rendered here is what the program registers; test/hostsAccess.servers.test.ts runs the runbooks'
 * commands through the real sudo (`sudo -l -U`, rung 3).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { BOOTSTRAP_PATH, SUDOERS_PATH } from "../components/host/bootstrap";
import { renderCloudInit } from "../components/host/cloudInit";
import { loadStackConfigFor, shippedStacks } from "../scripts/lib/stackFiles";
import { codeSpans, lines } from "./docsCheck/markdown";
import { SAMPLE, SAMPLE_HOST_KEY } from "./hostsFixtures";

const ROOT = path.join(__dirname, "..");

/** One command of a `Cmnd_Alias` or user spec: its path and, when given, its arguments as written in sudoers. */
interface SudoRule {
    readonly path: string;
    /** undefined: any arguments; `""`: none at all; otherwise exactly these (sudoers(5), quoted at sudoVerdict). */
    readonly args?: string;
}

/** What a droplet grants its operator, read from its rendered cloud-init. */
interface HostAccess {
    readonly deployUser: string;
    readonly deployGroups: readonly string[];
    readonly passwordLocked: boolean;
    readonly permitRootLogin: string;
    /** The deploy user's rules that run as root without a password (the deploy user has none to give). */
    readonly sudo: readonly SudoRule[];
}

function splitUnescaped(text: string, sep: string): string[] {
    return text.split(new RegExp(`(?<!\\\\)${sep}`)).map((s) => s.trim());
}

/**
 * The rules of a sudoers file, for the subset the bootstrap renders: comments, `Cmnd_Alias`, and `user ALL=(runas)
 * TAG: list`. Anything else (Defaults, includes, negation, wildcards, regular expressions, directories) throws: the
 * model below does not match those the way sudo does, so a rule using one must fail this test, not pass it.
 */
function parseSudoers(text: string): Map<string, Array<SudoRule & { runas: string; tags: string[] }>> {
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
function sudoersOf(script: string): string {
    const heredoc = /cat >"\$sudoers_new" <<'SUDOERS'\n([\s\S]*?)^SUDOERS$/m.exec(script);
    expect(heredoc, "the bootstrap writes the sudo rules from a heredoc").to.not.equal(null);
    expect(script).to.contain(`write_file ${SUDOERS_PATH} 0440 <"$sudoers_new"`);
    return heredoc![1]!;
}

type CloudUser = string | { name: string; groups?: string[]; lock_passwd?: boolean; ssh_authorized_keys?: string[] };

/** What a shipped droplet stack grants, from the cloud-init the program renders for the stack's own config. */
function accessOf(stack: string): HostAccess {
    const cfg = loadStackConfigFor(stack);
    // The volume's name as components/host/dropletHost.ts gives it; test/docsAccess.stack.test.ts pins the two.
    const text = renderCloudInit({
        deployKeys: SAMPLE.deployKeys,
        adminCidrs: cfg.adminCidrs,
        volumeName: `${cfg.namePrefix}-data`,
        hostKey: SAMPLE_HOST_KEY,
    });
    const doc = YAML.parse(text.replace(/^#cloud-config\n/, "")) as {
        users: CloudUser[];
        write_files: Array<{ path: string; content: string }>;
    };
    const deploy = doc.users.find((u) => typeof u === "object" && (u.ssh_authorized_keys ?? []).length > 0);
    if (typeof deploy !== "object") throw new Error(`${stack}: cloud-init authorises no user's key`);
    const script = doc.write_files.find((f) => f.path === BOOTSTRAP_PATH)?.content ?? "";
    const rules = parseSudoers(sudoersOf(script)).get(deploy.name) ?? [];
    return {
        deployUser: deploy.name,
        deployGroups: deploy.groups ?? [],
        passwordLocked: deploy.lock_passwd === true,
        permitRootLogin: /^PermitRootLogin (\S+)$/m.exec(script)?.[1] ?? "(not set)",
        sudo: rules.filter((r) => r.runas === "root" && r.tags.includes("NOPASSWD")),
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
function sudoVerdict(argv: readonly string[], rules: readonly SudoRule[]): string | undefined {
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

/** The options of OpenSSH's ssh that take a value (openssh-portable V_9_2_P1 ssh.c:710-711, its getopt string). */
const SSH_OPTIONS_WITH_VALUE = new Set([..."bceilmopBDEFIJLOQRSwW"]);

/** The users an `ssh` command line logs in as (-l, -o User=, user@ or ssh://user@), and whether it names a host. */
function sshLogin(argv: readonly string[]): { users: string[]; destination?: string } {
    const users: string[] = [];
    let i = 1;
    for (; i < argv.length && argv[i]!.startsWith("-") && argv[i] !== "-"; i++) {
        if (argv[i] === "--") {
            i++;
            break;
        }
        const flags = argv[i]!;
        for (let j = 1; j < flags.length; j++) {
            if (!SSH_OPTIONS_WITH_VALUE.has(flags[j]!)) continue;
            const value = flags.slice(j + 1) || argv[++i] || "";
            if (flags[j] === "l") users.push(value);
            const user = flags[j] === "o" ? /^User(?:\s*=\s*|\s+)(\S+)$/i.exec(value) : null;
            if (user) users.push(user[1]!);
            break;
        }
    }
    const destination = argv[i];
    const at = destination === undefined ? null : /^(?:ssh:\/\/)?([^@/]+)@/.exec(destination);
    if (at) users.push(at[1]!);
    return { users, ...(destination !== undefined ? { destination } : {}) };
}

/** The shell commands in a page's code (spans and fenced lines), as words, with the line each is on. */
function commandsIn(md: string): Array<{ line: number; words: string[] }> {
    const out: Array<{ line: number; words: string[] }> = [];
    const all = lines(md);
    for (let k = 0; k < all.length; k++) {
        const l = all[k]!;
        let texts: string[];
        if (l.fenced) {
            if (/^\s{0,3}(`{3,}|~{3,})/.test(l.text)) continue;
            let text = l.text;
            while (text.endsWith("\\") && all[k + 1]?.fenced) text = `${text.slice(0, -1)} ${all[++k]!.text}`;
            texts = [text.replace(/(^|\s)#.*$/, "")];
        } else texts = codeSpans(l.text);
        for (let text of texts) {
            const pieces: string[] = [];
            for (let m = /\$\(([^()]*)\)/.exec(text); m; m = /\$\(([^()]*)\)/.exec(text)) {
                pieces.push(m[1]!);
                text = `${text.slice(0, m.index)}SUBST${text.slice(m.index + m[0].length)}`;
            }
            for (const piece of [...pieces, text])
                for (const segment of piece.split(/&&|\|\||[;|]/)) {
                    const words = segment.trim().split(/\s+/).filter(Boolean);
                    const redirect = words.findIndex((w) => /^\d*[<>]/.test(w));
                    if (words.length > 0)
                        out.push({ line: l.n, words: redirect < 0 ? words : words.slice(0, redirect) });
                }
        }
    }
    return out;
}

/** Sentences that tell the operator to log in as root, or name a root login. */
const ROOT_LOGIN = [
    /\blog(?:s|ged|ging)?[\s-]?in(?:to)?\b[^.;]{0,60}?\bas\s+`?root`?(?![\w-])/i,
    /\bssh(?:es|ed|ing)?\b[^.;]{0,30}?\bas\s+`?root`?(?![\w-])/i,
    /\bas\s+`?root`?\s+with\s+\S+\s+own\s+key/i,
    /\broot@/,
];

/** The sudo commands that run elsewhere than on a host the stack built, each with where and why. */
const RUNS_ELSEWHERE: ReadonlyArray<{ file: string; command: string; why: string }> = [
    {
        file: "README.md",
        command: "sudo bash .ci/run",
        why: "the test set-up, run on the developer's own machine, which the stack did not build",
    },
];

/** Every way a page asks for more access than `access` grants, as `file:line: why`. */
function accessProblems(md: string, file: string, access: HostAccess, stack: string): string[] {
    const out: string[] = [];
    for (const { line, words } of commandsIn(md)) {
        const at = `${file}:${line}`;
        if (words[0] === "sudo" && words.length > 1) {
            const text = words.join(" ");
            if (RUNS_ELSEWHERE.some((e) => e.file === file && e.command === text)) continue;
            const argv = words.slice(1).map((w) => w.replace(/<stack>/g, stack));
            const why = sudoVerdict(argv, access.sudo);
            if (why) out.push(`${at}: \`${text}\`: ${why}`);
        }
        if (words[0] === "ssh") {
            const login = sshLogin(words);
            const wrong = login.users.filter((u) => u !== access.deployUser);
            if (login.destination !== undefined && (login.users.length === 0 || wrong.length > 0))
                out.push(
                    `${at}: \`${words.join(" ")}\` logs in as ${wrong[0] ?? "your local user"}, not ${access.deployUser}`,
                );
        }
    }
    let paragraph: Array<{ n: number; text: string }> = [];
    const flush = () => {
        const text = paragraph.map((p) => p.text).join(" ");
        for (const cell of text.split(/(?<!\\)\|/))
            for (const sentence of cell.split(/(?<=[.!?])\s+/))
                if (ROOT_LOGIN.some((re) => re.test(sentence)) && !/Recovery Console/.test(sentence))
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

const DROPLET_STACKS = shippedStacks().filter((s) => loadStackConfigFor(s).target === "droplet");
const PAGES = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) =>
    f.endsWith(".md"),
);
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

describe("docs access: every command works with the access a droplet grants (issue 17, friction 7; rung 1)", () => {
    it("reads the access from the cloud-init the shipped droplet stacks render", () => {
        expect(DROPLET_STACKS).to.include.members(["staging", "prod"]);
        for (const stack of DROPLET_STACKS) {
            const access = accessOf(stack);
            // What the docs say of it (docs/operations.md, "Host access").
            expect(access.deployUser, stack).to.equal("deploy");
            expect(access.deployGroups, stack).to.include("docker");
            expect(access.passwordLocked, `${stack}: the deploy user has no password`).to.equal(true);
            expect(access.permitRootLogin, `${stack}: root cannot log in over SSH`).to.equal("no");
            expect(access.sudo.length, `${stack}: rules the deploy user may use without a password`).to.be.above(3);
        }
    });

    for (const stack of DROPLET_STACKS)
        it(`${stack}: every sudo and ssh command of README.md and docs/*.md runs as the deploy user with its rules, and no page tells the operator to log in as root`, () => {
            const access = accessOf(stack);
            const problems = PAGES.flatMap((page) => accessProblems(read(page), page, access, stack));
            expect(problems, `\n${problems.join("\n")}\n`).to.deep.equal([]);
        });

    it("lists only sudo commands that really run elsewhere, each still in its page", () => {
        for (const e of RUNS_ELSEWHERE)
            expect(
                commandsIn(read(e.file)).some((c) => c.words.join(" ") === e.command),
                `${e.file} no longer says \`${e.command}\`: remove it from RUNS_ELSEWHERE`,
            ).to.equal(true);
    });
});

describe("docs access checker: a page that asks for more than the host grants is reported", () => {
    const access = (): HostAccess => accessOf("prod");
    const problemsOf = (md: string) => accessProblems(md, "fake.md", access(), "prod");

    it("reports `sudo systemctl restart docker`: the rules allow `systemctl start docker` only", () => {
        const problems = problemsOf("Restart it: `sudo systemctl restart docker`.");
        expect(problems).to.have.length(1);
        expect(problems[0])
            .to.contain("fake.md:1")
            .and.to.contain("systemctl is allowed only as: systemctl start docker");
        expect(problemsOf("`sudo systemctl start docker`")).to.deep.equal([]);
    });

    it('matches arguments as sudo does: exactly, `""` for none, the command by path or base name', () => {
        const ok = ["sudo ufw status", "sudo ufw status verbose", "sudo /usr/sbin/ufw status numbered"];
        const ok2 = [
            "sudo -n /usr/local/sbin/freshtrack-bootstrap",
            "sudo ss -ltnp",
            "sudo cat /var/log/cloud-init-output.log",
        ];
        const resize = "sudo resize2fs /dev/disk/by-id/scsi-0DO_Volume_freshtrack-<stack>-data";
        expect(problemsOf(["```sh", ...ok, ...ok2, resize, "```"].join("\n"))).to.deep.equal([]);
        const refused = [
            "sudo ufw disable",
            "sudo ufw allow 22",
            "sudo /usr/local/sbin/freshtrack-bootstrap --force",
            "sudo ss -ltnp -K",
            "sudo cat /etc/shadow",
            "sudo resize2fs /dev/vda1",
            "sudo bash",
            "sudo -u postgres psql",
            "sudo -i",
            "sudo /usr/bin/ufw status",
            "sudo journalctl -u docker",
            'sudo cat "/var/log/cloud-init-output.log"',
        ];
        expect(problemsOf(refused.map((c) => `\`${c}\``).join("\n"))).to.have.length(refused.length);
        expect(problemsOf(`\`${resize.replace("<stack>", "staging")}\``), "another stack's volume").to.have.length(1);
    });

    it("reports an ssh login as root, or as no user at all, in spans, fenced blocks and command substitutions", () => {
        const bad = [
            "`ssh root@203.0.113.7`",
            "```sh\nssh -i key -l root $(pulumi stack output publicAddress)\n```",
            "`ssh -o User=root deploy@host`",
            "`ssh -i deploy_key host docker ps`",
            "```sh\nssh -p 2222 \\\n  root@host\n```",
            "`echo $(ssh ssh://root@host:22 uptime)`",
        ];
        for (const md of bad) expect(problemsOf(md), md).to.have.length.of.at.least(1);
        const good = [
            "`ssh -i deploy_key -o StrictHostKeyChecking=yes deploy@$(pulumi stack output publicAddress) docker ps`",
            "`ssh -p2222 -l deploy host`",
            "`ssh -o UserKnownHostsFile=known_hosts -o User=deploy host`",
            "`ssh -V`, `ssh-keyscan -t ed25519 host`, `ssh: connect to host … port 22: Connection refused`",
        ];
        for (const md of good) expect(problemsOf(md), md).to.deep.equal([]);
    });

    it("reports a page that tells the operator to log in as root, in prose or a table", () => {
        for (const md of [
            "If the bootstrap failed, log in as root with your own key.",
            "| symptom | fix |\n|---|---|\n| boot failed | SSH in as root and read the log |",
            "Log into the droplet as `root`, then look.",
            "Then run it as root with your own key.",
        ])
            expect(problemsOf(md), md).to.have.length(1);
        const fine = [
            "Root cannot log in over SSH. Log in as `deploy` with the deploy key.",
            "Log in as root at the login prompt of the droplet's Recovery Console, with the emailed password.",
        ];
        for (const md of fine) expect(problemsOf(md), md).to.deep.equal([]);
    });

    it("refuses sudoers constructs its model does not match the way sudo does", () => {
        for (const text of [
            "Defaults secure_path=/tmp",
            "deploy ALL=(root) NOPASSWD: /usr/bin/systemctl restart *",
            "deploy ALL=(root) NOPASSWD: /usr/bin/",
            "deploy ALL=(root) NOPASSWD: !/usr/bin/su",
            "#include /etc/sudoers.local",
        ])
            expect(() => parseSudoers(text), text).to.throw(/sudoers/);
        const rules = parseSudoers(
            'Cmnd_Alias X = /usr/bin/a "", \\\n    /usr/bin/b c d\ndeploy ALL=(root) NOPASSWD: X, /usr/bin/e',
        );
        expect(rules.get("deploy")!.map((r) => [r.path, r.args])).to.deep.equal([
            ["/usr/bin/a", '""'],
            ["/usr/bin/b", "c d"],
            ["/usr/bin/e", undefined],
        ]);
    });
});
