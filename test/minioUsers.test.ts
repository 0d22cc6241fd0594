/**
 * Issue 15, finding 12: the app gets a MinIO user limited to its own bucket; it cannot touch the backups.
 *
 * Rungs: 1 (mocks: what the backend, worker and minio-init receive, on every shipped stack); 2 (the policy
 * evaluated by a model of MinIO's own evaluation and checked against its parser's rules, each rule cited below at
 * minio/pkg@v3.1.3, the version minio RELEASE.2025-09-07T16-13-09Z builds with); 3 (minio-init's script run by a
 * real sh with a stand-in `mc` that records each call and what it reads on stdin). No MinIO server runs here: none
 * can be installed on these machines, so the policy's effect is argued from the source (components/services/minio.ts).
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    MINIO_APP_USER,
    renderMinioInitScript,
    UPLOADS_READ_POLICY,
    UPLOADS_READER_USER,
} from "../components/services/minio";
import { MC_DIR } from "./minioUsersFixtures";

describe("the app's MinIO user: the uploads bucket and nothing else (issue 15, finding 12)", function () {
    this.timeout(120_000);

    // Rung 3: the script itself, by a real sh, with a stand-in mc; run twice, as a rerun of the job does.
    it("runs as written: each mc call gets the user's secret on stdin and no secret in its arguments, the same on a second run", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-minio-init-"));
        try {
            const secret = "ab".repeat(32);
            fs.writeFileSync(path.join(dir, "app-user-secret"), secret);
            fs.writeFileSync(path.join(dir, "backup-sync-secret"), "cd".repeat(32));
            fs.writeFileSync(path.join(dir, "uploads-reader-secret"), "ef".repeat(32));
            for (const f of [
                "app-uploads-policy.json",
                "backup-append-policy.json",
                "backups-lifecycle.json",
                "uploads-read-policy.json",
            ])
                fs.writeFileSync(path.join(dir, f), "{}");
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            // Records each call: its arguments on one line, then what it read on stdin.
            const standIn = `#!/bin/sh\nprintf '%s\\n' "$*" >>"${dir}/calls"\nprintf 'stdin:%s\\n' "$(cat)" >>"${dir}/calls"\n`;
            fs.writeFileSync(path.join(bin, "mc"), standIn, { mode: 0o755 });
            const script = renderMinioInitScript().split(MC_DIR).join(dir);
            const runs = [1, 2].map(() => {
                fs.rmSync(path.join(dir, "calls"), { force: true });
                const r = spawnSync("sh", ["-c", script], {
                    env: { PATH: `${bin}:${process.env.PATH}` },
                    input: "",
                    encoding: "utf8",
                });
                expect(r.status, r.stderr).to.equal(0);
                return fs.readFileSync(path.join(dir, "calls"), "utf8");
            });
            expect(runs[1]).to.equal(runs[0]);
            const lines = runs[0]!.split("\n");
            const at = lines.indexOf(`--config-dir ${dir} admin user add local ${MINIO_APP_USER}`);
            expect(at, runs[0]).to.be.greaterThan(-1);
            expect(lines[at + 1]).to.equal(`stdin:${secret}`);
            expect(lines.filter((l) => !l.startsWith("stdin:")).join("\n")).to.not.contain(secret);
            // The uploads reader (issue 15, finding 2): its own secret, on stdin too, then its policy attached.
            const reader = lines.indexOf(`--config-dir ${dir} admin user add local ${UPLOADS_READER_USER}`);
            expect(reader, runs[0]).to.be.greaterThan(-1);
            expect(lines[reader + 1]).to.equal(`stdin:${"ef".repeat(32)}`);
            expect(
                lines.indexOf(
                    `--config-dir ${dir} admin policy attach local ${UPLOADS_READ_POLICY} --user ${UPLOADS_READER_USER}`,
                ),
            ).to.be.greaterThan(reader);
            expect(lines.filter((l) => !l.startsWith("stdin:")).join("\n")).to.not.contain("ef".repeat(32));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
