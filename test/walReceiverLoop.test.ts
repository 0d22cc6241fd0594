/**
 * The WAL receiver's loop (issue 18, second stop) with stand-ins for PostgreSQL's client programs (rung 2: the
 * rendered script in a real POSIX shell, the server's answers scripted): a slot the server still keeps log for, in any
 * state but `lost` and not ahead of the chain, closes no chain and is never dropped. The real-server behaviour (lost,
 * ahead, another cluster) is test/pitrChain.servers.test.ts.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderWalReceiverScript } from "../components/services/pitrScripts";

/** The receiver against stand-ins: pg_receivewal fails at once; psql answers IDENTIFY_SYSTEM and the slot's state. */
async function runReceiver(slotState: string, seconds: number): Promise<{ dir: string; calls: string[]; log: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-receiver-loop-"));
    const bin = path.join(dir, "bin");
    const wal = path.join(dir, "pitr", "wal");
    fs.mkdirSync(bin);
    fs.mkdirSync(wal, { recursive: true });
    fs.writeFileSync(path.join(wal, "000000010000000000000003"), "");
    fs.writeFileSync(path.join(wal, "000000010000000000000004.partial"), "");
    fs.writeFileSync(path.join(wal, "freshtrack-system-id"), "42\n");
    const calls = path.join(dir, "calls");
    const standIn = (name: string, body: string) =>
        fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >>'${calls}'\n${body}\n`, { mode: 0o755 });
    standIn("pg_receivewal", "exit 1");
    standIn(
        "psql",
        `case "$*" in *IDENTIFY_SYSTEM*) echo '42|1|0/4000000|' ;; *) cat >/dev/null; echo '${slotState}' ;; esac`,
    );
    fs.writeFileSync(path.join(dir, "pw"), "x");
    const child = spawn("sh", ["-c", renderWalReceiverScript()], {
        env: {
            PATH: `${bin}:/usr/bin:/bin`,
            WAL_DIR: wal,
            CLOSED_CHAIN_PREFIX: path.join(dir, "pitr", "wal-closed-"),
            DATABASE_HOST: "127.0.0.1",
            DATABASE_PORT: "5432",
            REPLICATION_USER: "freshtrack_replication",
            REPLICATION_PASSWORD_FILE: path.join(dir, "pw"),
        },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout.on("data", (d) => (log += String(d)));
    child.stderr.on("data", (d) => (log += String(d)));
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    const lines = fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [];
    return { dir, calls: lines, log };
}

describe("the WAL receiver's loop keeps its chain while the slot still serves it (issue 18; rung 2: stand-ins)", function () {
    this.timeout(30_000);
    for (const state of ["reserved 000000010000000000000004", "extended 000000010000000000000003", "unreserved -"])
        it(`slot '${state}': no chain closed, the slot never dropped or made, pg_receivewal started again`, async () => {
            const run = await runReceiver(state, 1.5);
            try {
                const pitr = fs.readdirSync(path.join(run.dir, "pitr"));
                expect(pitr, run.log).to.deep.equal(["wal"]);
                expect(run.calls.filter((c) => /drop-slot|CREATE_REPLICATION_SLOT|create-slot/.test(c))).to.deep.equal(
                    [],
                );
                expect(
                    run.calls.filter((c) => c.startsWith("pg_receivewal ")).length,
                    run.calls.join("\n"),
                ).to.be.at.least(1);
                expect(run.log).to.contain(
                    `pg_receivewal exited with status 1 (slot freshtrack_wal: ${state.split(" ")[0]})`,
                );
            } finally {
                fs.rmSync(run.dir, { recursive: true, force: true });
            }
        });

    it("slot 'lost': the chain is closed and the slot dropped and made anew (the stand-ins' view of it)", async () => {
        const run = await runReceiver("lost 000000010000000000000009", 1.5);
        try {
            expect(
                fs.readdirSync(path.join(run.dir, "pitr")).some((d) => d.startsWith("wal-closed-")),
                run.log,
            ).to.equal(true);
            expect(run.calls.some((c) => c.includes("--drop-slot"))).to.equal(true);
            expect(
                run.calls.some((c) => c.includes("CREATE_REPLICATION_SLOT freshtrack_wal PHYSICAL RESERVE_WAL")),
            ).to.equal(true);
        } finally {
            fs.rmSync(run.dir, { recursive: true, force: true });
        }
    });
});
