import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MIRROR_HEALTH_LIMITS, offsiteCopies, renderMirrorLoop, TEXTFILE_DIR } from "../components/services/backup";
import { mirrorMetricFiles, renderMirrorHealthCheck } from "../components/services/backupScripts";
import { renderMinioInitScript } from "../components/services/minio";
import { shellcheck } from "./localServers";

describe("scheduled backups", () => {
    // Rung 3: the rendered scripts through shellcheck and a real sh, with a stand-in `mc` that records its arguments.
    it("run scripts that pass shellcheck; the mirror loop hands mc the SSE-C key from its file and stops at once on TERM", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-mirror-"));
        try {
            const keyFile = path.join(dir, "sse.key");
            fs.writeFileSync(keyFile, "ab".repeat(32));
            const loop = renderMirrorLoop({
                name: "backup-offsite",
                copies: offsiteCopies("acme"),
                sse: { keyFile, scope: "offsite/acme/" },
                textfileDir: dir,
            });
            const health = renderMirrorHealthCheck(
                MIRROR_HEALTH_LIMITS,
                mirrorMetricFiles(TEXTFILE_DIR, "backup-offsite").success,
            );
            for (const [name, script] of [
                ["loop", loop],
                ["minio-init", renderMinioInitScript()],
                ["mirror-health", health],
            ] as const) {
                const lint = shellcheck(script);
                expect(lint.status, `${name}: ${lint.stdout}`).to.equal(0);
            }
            // Records the first call only: the loop's first copy, the dumps.
            fs.writeFileSync(
                path.join(dir, "mc"),
                `#!/bin/sh\n[ -e "${dir}/argv" ] || for a in "$@"; do printf '%s\\n' "$a"; done >"${dir}/argv"\n`,
                { mode: 0o755 },
            );
            const child = spawn("sh", ["-c", loop], { env: { PATH: `${dir}:${process.env.PATH}` }, stdio: "ignore" });
            const deadline = Date.now() + 5000;
            while (!fs.existsSync(path.join(dir, "argv")) && Date.now() < deadline)
                await new Promise((r) => setTimeout(r, 50));
            const argv = fs.readFileSync(path.join(dir, "argv"), "utf8").trim().split("\n");
            expect(argv).to.deep.equal([
                "--config-dir",
                "/run/secrets/mc",
                "mirror",
                "--older-than",
                "2m",
                "--exclude",
                "*.partial",
                "--enc-c",
                `offsite/acme/=${"ab".repeat(32)}`,
                "/backups/postgres",
                "offsite/acme/postgres",
            ]);
            const stopped = Date.now();
            const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
            child.kill("SIGTERM");
            expect(await exit, "exits cleanly on TERM").to.equal(0);
            expect(Date.now() - stopped, "without waiting out the pause").to.be.below(2000);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
