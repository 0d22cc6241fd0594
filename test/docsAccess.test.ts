/**
 * Every command the docs give for a host the stack built runs with the access that host grants (issue 17, friction
 * 7): `sudo` only for a command the deploy user's sudo rules name, with the same arguments; no `su`, `pkexec` or
 * `doas`; every login by `ssh`, `doctl compute ssh`, `scp`, `sftp` or rsync's remote shell as the deploy user; no page
 * telling the operator to log in as root. Commands are found wherever they stand, by the docs' shared reader
 * (test/docsCheck/commandWords.ts, tested in test/docsShellReader.test.ts): behind wrappers and keywords, in
 * substitutions, in fenced blocks wherever GitHub finds them (no page may hold an indented code block, which no check
 * reads), and in the command `ssh`, `npm run ssh`, `doctl compute ssh`, rsync and sftp hand to the host's shell.
 * The rules are read from the cloud-init that the real renderer (components/host/cloudInit.ts) makes for each shipped
 * droplet stack, never copied here; the reading, the model of sudo's matching and the page check live in
 * test/docsCheck/hostAccess.ts.
 *
 * Rung 1 (unit): the model of sudo's matching, checked against made-up pages. test/docsAccess.stack.test.ts shows that
 * the cloud-init rendered here is what the program registers; test/hostsAccess.servers.test.ts runs the runbooks'
 * commands through the real sudo (`sudo -l -U`, rung 3).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { loadStackConfigFor, shippedStacks } from "../scripts/lib/stackFiles";
import { pageCommands } from "./docsCheck/commandWords";
import { accessOf, accessProblems, HostAccess, parseSudoers, RUNS_ELSEWHERE } from "./docsCheck/hostAccess";

const ROOT = path.join(__dirname, "..");

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
            // The only way to root is those rules: no group that sudo or polkit treat as administrators, no password
            // set for anyone, no doas or polkit configuration (what su, pkexec and doas would need).
            expect(
                access.deployGroups.filter((g) => ["sudo", "admin", "wheel"].includes(g)),
                stack,
            ).to.deep.equal([]);
            expect(access.otherEscalation, `${stack}: other ways to root in the cloud-init`).to.deep.equal([]);
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
                pageCommands(read(e.file)).some((c) => c.words.join(" ") === e.command),
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
        // The shell takes the quotes off before sudo sees the words: this is `sudo cat /var/log/…`.
        ok2.push('sudo cat "/var/log/cloud-init-output.log"');
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
            "sudo cat /var/log/*.log",
            "sudo cat $LOG",
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

    it("reads the command run on the host by npm run ssh, ssh <host> <command> and doctl compute ssh, and refuses a root login by any of them", () => {
        const restart = "systemctl is allowed only as: systemctl start docker";
        const onHost = [
            "`npm run ssh -- prod -- 'sudo systemctl restart docker'`",
            "```sh\nnpm run ssh -- <stack> -- sudo systemctl restart docker\n```",
            "`ssh -i deploy_key deploy@203.0.113.7 sudo systemctl restart docker`",
            "`ssh deploy@host -- 'cd /tmp && sudo systemctl restart docker'`",
            "`ssh -p 2222 deploy@host -t 'sudo systemctl restart docker'`",
            "`doctl compute ssh freshtrack-prod --ssh-user deploy --ssh-command 'sudo systemctl restart docker'`",
            "`npm run ssh -- prod -- \"ssh deploy@10.0.0.2 'sudo systemctl restart docker'\"`",
        ];
        for (const md of onHost) expect(problemsOf(md), md).to.have.length(1).and.to.match(new RegExp(restart));
        const rootLogins = [
            "`ssh root@203.0.113.7 uptime`",
            "`doctl compute ssh freshtrack-prod`",
            "`doctl compute ssh freshtrack-prod --ssh-command 'docker ps'`",
            "`doctl compute ssh freshtrack-prod --ssh-user root`",
            "`doctl compute ssh freshtrack-prod --ssh-user=root`",
            "`doctl compute ssh root@freshtrack-prod --ssh-user deploy`",
            "`doctl -t $TOKEN compute ssh 123456 --ssh-user ''`",
            "`npm run ssh -- prod -- 'ssh root@10.0.0.2'`",
        ];
        for (const md of rootLogins) expect(problemsOf(md).join("\n"), md).to.match(/logs in as root/);
        const fine = [
            "`npm run ssh -- prod -- 'sudo ufw status'`",
            "`ssh -i deploy_key deploy@host sudo ss -ltnp`",
            "`doctl compute ssh freshtrack-prod --ssh-user deploy --ssh-command 'docker ps'`",
            "`doctl compute ssh-key list`",
        ];
        for (const md of fine) expect(problemsOf(md), md).to.deep.equal([]);
    });

    // Issue 17, attack pass 2: scp, sftp and rsync log in over ssh too, and su, pkexec and doas are other ways to root.
    it("reads the login of scp, sftp and rsync as the ssh command each runs, and refuses any but the deploy user", () => {
        const root = [
            "`scp -o User=root 203.0.113.7:/var/log/syslog .`",
            "`scp backup.tar root@203.0.113.7:/tmp/`",
            "`scp -P 2222 ./x scp://root@host:2222/tmp/x`",
            "`sftp root@203.0.113.7`",
            "`sftp -o User=root -i key host:/var/log`",
            "`sftp sftp://root@host`",
            "`rsync -e 'ssh -l root' host:/var/log/ ./logs/`",
            "`rsync -av --rsh='ssh -o User=root -i key' deploy@host:/x .`",
            "`rsync -az --rsh 'ssh -p 2222' root@host:/x .`",
            "`rsync -e 'ssh -i key' --exclude '*.log' ./ root@[2001:db8::1]:/srv/`",
        ];
        for (const md of root) expect(problemsOf(md).join("\n"), md).to.match(/logs in as root, not deploy/);
        const anyone = ["`scp host:/x .`", "`sftp -P 2222 host`", "`rsync -a host:/x .`"];
        for (const md of anyone)
            expect(problemsOf(md), md).to.deep.equal([`fake.md:1: ${md} logs in as your local user, not deploy`]);
        const fine = [
            "`scp -i deploy_key -o StrictHostKeyChecking=yes deploy@host:/var/log/syslog .`",
            "`scp -l 8192 -o User=deploy ./x host:/tmp/`",
            "`scp a.txt b.txt`",
            "`sftp -l 100 deploy@host`",
            "`sftp -D /usr/lib/openssh/sftp-server`",
            "`rsync -av deploy@host:/var/log/ ./logs/`",
            "`rsync -av -e 'ssh -l deploy' host:/x .`",
            "`rsync -a ./a ./b`",
            "`rsync -a --exclude 'a:b' ./a ./b`",
        ];
        for (const md of fine) expect(problemsOf(md), md).to.deep.equal([]);
    });

    it("reads what rsync --rsync-path and sftp -s run on the host, and refuses su, pkexec and doas wherever they stand", () => {
        expect(problemsOf("`rsync -a --rsync-path='sudo rsync' deploy@host:/etc/ ./etc/`")).to.deep.equal([
            "fake.md:1: `sudo rsync --server`: no sudo rule names rsync",
        ]);
        expect(problemsOf("`sftp -s 'sudo /usr/lib/openssh/sftp-server' deploy@host`")).to.have.length(1);
        expect(problemsOf("`sftp -s sftp deploy@host`"), "a subsystem's name").to.deep.equal([]);
        const escalation = [
            "`npm run ssh -- prod -- su -c 'systemctl restart docker'`",
            "`npm run ssh -- prod -- 'su - root'`",
            "`npm run ssh -- prod -- pkexec systemctl restart docker`",
            "`ssh deploy@host doas systemctl restart docker`",
            "```sh\nsu\n```",
            "`time su -c id`",
        ];
        for (const md of escalation)
            expect(problemsOf(md), md)
                .to.have.length(1)
                .and.to.match(/(su|pkexec|doas) .*; the host grants root only through sudo's rules/);
        expect(problemsOf("`sudo su -`"), "su behind sudo: no rule names it").to.have.length(2);
    });

    it("finds sudo behind time, env, nice, nohup, timeout, xargs and watch, after every operator and keyword, in substitutions and sh -c", () => {
        const command = "sudo systemctl restart docker";
        const forms = [
            `\`time ${command}\``,
            `\`env FOO=1 ${command}\``,
            `\`env -i PATH=/usr/bin nice -n 5 ${command}\``,
            `\`nohup ${command}\``,
            `\`timeout -s KILL 10 ${command}\``,
            "`echo docker | xargs -r sudo systemctl restart`",
            `\`watch -n 5 ${command}\``,
            `\`watch -x ${command}\``,
            `\`true; ${command}\``,
            `\`true && ${command}\``,
            `\`false || ${command}\``,
            `\`echo | ${command}\``,
            `\`echo "$(${command})"\``,
            `\`sh -c '${command}'\``,
            `\`bash -lc '${command}'\``,
            `\`\`\`sh\nif true; then ${command}; fi\n\`\`\``,
            `\`\`\`sh\nif false; then :; else ${command}; fi\n\`\`\``,
            `\`\`\`sh\nfor i in 1 2; do ${command}; done\n\`\`\``,
            `\`\`\`sh\nwhile true; do\n  ${command}\ndone\n\`\`\``,
            `\`\`\`console\n$ ${command}\nFailed to restart docker.service\n\`\`\``,
            `\`\`\`text\n${command}\n\`\`\``,
        ];
        for (const md of forms)
            expect(problemsOf(md), md)
                .to.have.length(1)
                .and.to.match(/systemctl is allowed only as|no sudo rule names systemctl restart/);
    });

    it("reports a page that tells the operator to log in as root, in prose or a table", () => {
        for (const md of [
            "If the bootstrap failed, log in as root with your own key.",
            "| symptom | fix |\n|---|---|\n| boot failed | SSH in as root and read the log |",
            "Log into the droplet as `root`, then look.",
            "Then run it as root with your own key.",
            "If you cannot reach it, log in as root with your own key.",
            "No luck? Log in as root.",
        ])
            expect(problemsOf(md), md).to.have.length(1);
        const fine = [
            "Root cannot log in over SSH. Log in as `deploy` with the deploy key.",
            "Log in as root at the login prompt of the droplet's Recovery Console, with the emailed password.",
            "Every sudo the docs give matches the rules, and no doc logs in as root.",
            "The deploy user never logs in as root; root cannot log in over SSH.",
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
