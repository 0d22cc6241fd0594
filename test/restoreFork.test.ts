/**
 * `npm run restore -- <stack> --to-time <time>` on a managed PostgreSQL (issue 18, item 3): a fork of the live cluster
 * at that time is made first (database.fork.at, then an update), and the stack is pointed at it (database.fork.use,
 * another update) only once the operator says so; a time DigitalOcean cannot fork at, or a second fork, is refused
 * before anything is set. Rung 1: scripts/lib/restoreFork.ts with a recording workspace in place of the Pulumi CLI
 * (what the workspace's setDatabaseFork sends the CLI is test/workspace.test.ts's, rung 3).
 */
import { expect } from "chai";
import type { StackConfig } from "../components/config";
import type { ForkConfigSetting } from "../components/platform/managedDatabase";
import { forkManaged } from "../scripts/lib/restoreFork";
import { PreviewRefused } from "../scripts/lib/workspace";

type Managed = Extract<StackConfig["database"], { mode: "managed" }>;
const MANAGED = { mode: "managed", size: "db-s-1vcpu-1gb", nodeCount: 1, version: "17" } as unknown as Managed;

function recorder(opts: { answer?: boolean; answers?: boolean[]; failUp?: unknown }) {
    const calls: string[] = [];
    const answers = [...(opts.answers ?? [])];
    const io = {
        stack: "prod",
        workspace: () =>
            Promise.resolve({
                setDatabaseFork: (s: ForkConfigSetting) => {
                    calls.push(`set ${s.key}=${s.value}`);
                    return Promise.resolve();
                },
                up: () => {
                    calls.push("up");
                    return opts.failUp ? Promise.reject(opts.failUp) : Promise.resolve({} as never);
                },
            }),
        confirm: (question: string) => {
            calls.push(`ask ${question}`);
            return Promise.resolve(answers.length > 0 ? answers.shift()! : (opts.answer ?? true));
        },
    };
    return { io, calls };
}

describe("npm run restore --to-time on a managed PostgreSQL: fork, then switch when told (issue 18)", () => {
    const at = new Date(Date.now() - 3600_000);
    const stamp = `${at.toISOString().slice(0, 19)}Z`;

    it("forks at the time, updates, asks, then points the stack at the fork and updates again", async () => {
        const { io, calls } = recorder({ answer: true });
        expect(await forkManaged(MANAGED, "freshtrack-prod", at, io)).to.equal(0);
        expect(calls.map((c) => c.replace(/^ask .*/, "ask"))).to.deep.equal([
            "ask",
            `set freshtrack:database.fork.at=${stamp}`,
            "up",
            "ask",
            "set freshtrack:database.fork.use=true",
            "up",
        ]);
    });

    it("creates nothing when the operator does not confirm the fork (it is billed from the moment it exists)", async () => {
        const { io, calls } = recorder({ answers: [false] });
        expect(await forkManaged(MANAGED, "freshtrack-prod", at, io)).to.equal(1);
        expect(calls.filter((c) => !c.startsWith("ask"))).to.deep.equal([]);
    });

    it("keeps the live cluster when the operator does not confirm the switch: the fork exists, the stack is not switched", async () => {
        const { io, calls } = recorder({ answers: [true, false] });
        expect(await forkManaged(MANAGED, "freshtrack-prod", at, io)).to.equal(1);
        expect(calls.filter((c) => c.startsWith("set"))).to.deep.equal([`set freshtrack:database.fork.at=${stamp}`]);
    });

    it("refuses, before setting anything, a time to come, one older than seven days, and a second fork", async () => {
        for (const [when, fork] of [
            [new Date(Date.now() + 3600_000), undefined],
            [new Date(Date.now() - 8 * 86_400_000), undefined],
            [at, { at: "2026-11-01T00:00:00Z", use: false }],
        ] as const) {
            const { io, calls } = recorder({ answer: true });
            const database = { ...MANAGED, ...(fork ? { fork } : {}) } as Managed;
            expect(await forkManaged(database, "freshtrack-prod", when, io)).to.equal(1);
            expect(calls, String(when)).to.deep.equal([]);
        }
    });

    it("stops after a refused preview: the stack is not switched", async () => {
        const { io, calls } = recorder({ answer: true, failUp: new PreviewRefused(new Error("error: policy")) });
        expect(await forkManaged(MANAGED, "freshtrack-prod", at, io)).to.equal(1);
        expect(calls.filter((c) => !c.startsWith("ask"))).to.deep.equal([
            `set freshtrack:database.fork.at=${stamp}`,
            "up",
        ]);
    });
});
