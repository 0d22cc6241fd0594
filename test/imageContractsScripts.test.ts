/**
 * Issue 18 in the postgres image: every program the point-in-time recovery scripts run (the WAL receiver, its health
 * check, the base backup, the point-in-time restore, the restore drill) is one the pinned image has, by its contract
 * (components/imageContracts/data.ts, each binary cited at the pinned tag), or a file the container is given. Rung 6
 * (image contracts): the scripts are read for their commands (test/imageContractsScripts.ts) and each command is looked
 * up in the contract. test/imageContracts.stack.test.ts does the same for every script of every container of every
 * shipped stack; this file needs no stack, so a script not wired in yet (the drill) is covered too, and it shows that
 * the reading finds what it is for.
 */
import { expect } from "chai";
import { contractFor, ImageContract } from "../components/imageContracts";
import { PUBLIC_IMAGES } from "../components/images";
import { renderBackupHealthCheck, renderBackupScript, renderRestoreScript } from "../components/services/backupScripts";
import { backupHealthLimits } from "../components/services/backupScripts";
import { DRILL_TOOLS, renderDrillScript } from "../components/services/drillScript";
import { PITR_RESTORE_SCRIPT_PATH, renderPitrRestoreScript } from "../components/services/pitrRestoreScript";
import {
    renderBaseBackupScript,
    renderWalReceiverHealthCheck,
    renderWalReceiverScript,
} from "../components/services/pitrScripts";
import { contractProblems } from "./imageContractsFixtures";
import { missingCommands, scriptCommands } from "./imageContractsScripts";

const POSTGRES = contractFor(PUBLIC_IMAGES.postgres)!;

/** The postgres image's contract less one binary: what the checks must then find missing. */
function without(contract: ImageContract, binary: string): ImageContract {
    const binaries = Object.fromEntries(Object.entries(contract.binaries).filter(([path]) => path !== binary));
    expect(Object.keys(binaries), `${binary} was in the contract`).to.have.length(
        Object.keys(contract.binaries).length - 1,
    );
    return { ...contract, binaries };
}

/** A container of the postgres image that runs crond and is given these scripts, as the backup service is. */
function givenScripts(scripts: Record<string, string>): {
    name: string;
    entrypoints: string[];
    uploads: { file: string; content: string }[];
} {
    const uploads = Object.entries(scripts).map(([file, content]) => ({ file, content }));
    return { name: "backup", entrypoints: ["crond"], uploads };
}

/** The scripts that run in the postgres image, as their containers are given them (components/services/pitr.ts). */
const POSTGRES_SCRIPTS: Record<string, string> = {
    "/usr/local/bin/freshtrack-wal-receiver": renderWalReceiverScript(),
    "/usr/local/bin/freshtrack-wal-receiver-health": renderWalReceiverHealthCheck(),
    "/usr/local/bin/freshtrack-base-backup": renderBaseBackupScript(),
    [PITR_RESTORE_SCRIPT_PATH]: renderPitrRestoreScript(),
    "/usr/local/bin/freshtrack-drill": renderDrillScript(),
    "/usr/local/bin/freshtrack-backup": renderBackupScript(),
    "/usr/local/bin/freshtrack-restore": renderRestoreScript(),
    "/usr/local/bin/freshtrack-backup-health": renderBackupHealthCheck(backupHealthLimits("15 3 * * *")),
};

describe("the point-in-time recovery scripts run only what the postgres image has (issue 18; rung 6: image contracts)", () => {
    it("every command of every script in the postgres image is a builtin, a function, a given file or a cited binary", () => {
        expect(contractProblems(givenScripts(POSTGRES_SCRIPTS), POSTGRES)).to.deep.equal([]);
    });

    it("the programs the drill says it uses (DRILL_TOOLS) are all in the contract", () => {
        const has = (p: string) => Object.keys(POSTGRES.binaries).some((b) => b.endsWith(`/${p}`));
        const tools = [...DRILL_TOOLS.applets, ...DRILL_TOOLS.postgres, "gosu"];
        expect(tools.filter((t) => !has(t))).to.deep.equal([]);
    });

    describe("each program PostgreSQL or BusyBox gives them is needed: without its contract entry, the check fails", () => {
        const cases: Array<[string, string]> = [
            ["/usr/local/bin/pg_receivewal", "/usr/local/bin/freshtrack-wal-receiver"],
            ["/usr/local/bin/pg_basebackup", "/usr/local/bin/freshtrack-base-backup"],
            ["/usr/local/bin/pg_archivecleanup", "/usr/local/bin/freshtrack-base-backup"],
            ["/usr/local/bin/pg_waldump", PITR_RESTORE_SCRIPT_PATH],
            ["/usr/local/bin/pg_ctl", PITR_RESTORE_SCRIPT_PATH],
            ["/usr/local/bin/initdb", "/usr/local/bin/freshtrack-drill"],
            ["/bin/tar", PITR_RESTORE_SCRIPT_PATH],
            ["/usr/bin/sort", PITR_RESTORE_SCRIPT_PATH],
            ["/bin/sed", "/usr/local/bin/freshtrack-base-backup"],
            ["/usr/bin/md5sum", "/usr/local/bin/freshtrack-drill"],
            ["/bin/ln", "/usr/local/bin/freshtrack-drill"],
        ];
        for (const [binary, script] of cases) {
            it(`${binary}, run by ${script}`, () => {
                const problems = contractProblems(givenScripts(POSTGRES_SCRIPTS), without(POSTGRES, binary));
                expect(problems.join("\n")).to.contain(`${script} runs `);
                expect(problems.join("\n")).to.match(new RegExp(`[ ,]${binary.replace(/.*\//, "")}[ ,]`));
            });
        }
        it("/usr/bin/test: run through gosu, which execs it, so ash's builtin does not do", () => {
            const problems = contractProblems(givenScripts(POSTGRES_SCRIPTS), without(POSTGRES, "/usr/bin/test"));
            expect(problems.join("\n")).to.contain("test (run by exec, so a builtin or a function will not do)");
        });
        it("the drill runs freshtrack-pitr-restore, a file the backup service is given, not part of the image", () => {
            const { [PITR_RESTORE_SCRIPT_PATH]: restore, ...others } = POSTGRES_SCRIPTS;
            expect(restore).to.be.a("string");
            expect(contractProblems(givenScripts(others), POSTGRES)).to.deep.equal([
                `/usr/local/bin/freshtrack-drill runs freshtrack-pitr-restore, which ${POSTGRES.image} does not have`,
            ]);
        });
    });

    describe("the reading of a script finds its commands and nothing else", () => {
        const names = (script: string) => [...new Set(scriptCommands(script).commands.map((c) => c.name))];
        it("takes commands in $(...), $((...)), pipelines, lists, sh -c, trap, find -exec and after assignments", () => {
            const script = [
                "#!/bin/sh",
                "x=$(alpha -u | beta) && gamma || delta; n=$(( $(epsilon) + 1 ))",
                'LANG=C zeta "$x" >/dev/null 2>&1 &',
                "sh -c 'eta >\"$1\"' sh out",
                "trap 'theta; exit 1' TERM",
                "find /d -name x -exec iota {} +",
                "if ! kappa; then lambda; fi",
                "while mu; do nu; done",
            ].join("\n");
            expect(names(script)).to.deep.equal(
                ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "sh", "eta", "trap", "theta", "exit"].concat([
                    "find",
                    "iota",
                    "kappa",
                    "lambda",
                    "mu",
                    "nu",
                ]),
            );
        });
        it("does not take words in strings, comments, here-documents, case patterns or redirections for commands", () => {
            const script = [
                'echo "one; two && three | four"',
                "# five six",
                "cat <<'SQL' >seven",
                "SELECT eight;",
                "SQL",
                'case "$x" in nine|ten) eleven ;; *) twelve ;; esac',
                "for v in thirteen fourteen; do fifteen; done",
                "f() { sixteen; }",
                '"drill_$kind"',
            ].join("\n");
            expect(names(script)).to.deep.equal(["echo", "cat", "eleven", "twelve", "fifteen", "sixteen"]);
            expect([...scriptCommands(script).functions]).to.deep.equal(["f"]);
        });
        it("marks what gosu, a gosu wrapper, exec and find -exec run: it must be a file, not a builtin", () => {
            const script = 'as_user() { gosu postgres "$@"; }\nas_user test -f x\ngosu postgres printf x\nexec echo y';
            expect(missingCommands(script, (p) => p === "gosu")).to.deep.equal([
                "test (run by exec, so a builtin or a function will not do)",
                "printf (run by exec, so a builtin or a function will not do)",
                "echo (run by exec, so a builtin or a function will not do)",
            ]);
        });
    });
});
