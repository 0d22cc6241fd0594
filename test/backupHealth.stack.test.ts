/**
 * Issue 15, finding 14 (second half): the backup service is healthy only while its scheduled backups succeed,
 * not merely while crond runs. Rung 1 (mocks) for what the program registers; rung 3 (real tools on generated
 * files) for the health check and the backup script, run by BusyBox's own sh and applets (Debian's busybox,
 * standing in for the postgres alpine image's: only the applets that image has, components/imageContracts/,
 * are put on PATH; busybox sh runs its own applets first anyway), with a process named crond for pidof to find
 * and stand-ins for pg_dump/pg_restore.
 */
import { expect } from "chai";
import {
    BACKUP_HEALTH_SCRIPT_PATH,
    backupHealthLimits,
    LAST_SUCCESS_FILE,
    renderBackupHealthCheck,
} from "../components/services/backupScripts";
import { containerNamed, uploadText } from "./helpers";
import { shippedRun } from "./variantRuns";

describe("backup service health reflects the last successful scheduled backup (issue 15, finding 14)", function () {
    this.timeout(30_000);

    it("is checked by a script the container runs, not only `pidof crond` (rung 1: mocks)", async () => {
        const { resources } = await shippedRun("prod");
        const backup = containerNamed(resources, "backup");
        const health = backup.inputs.healthcheck as { tests: string[] };
        expect(health.tests).to.deep.equal(["CMD", "/bin/sh", BACKUP_HEALTH_SCRIPT_PATH]);
        expect(uploadText(resources, "backup", BACKUP_HEALTH_SCRIPT_PATH)).to.equal(
            renderBackupHealthCheck(backupHealthLimits("15 3 * * *")),
        );
        const upload = (backup.inputs.uploads as Array<{ file: string; permissions?: string }>).find(
            (u) => u.file === BACKUP_HEALTH_SCRIPT_PATH,
        )!;
        expect(upload.permissions, "executable, or Docker cannot run it").to.equal("0555");
        expect(backup.inputs.envs).to.include(`LAST_SUCCESS_FILE=${LAST_SUCCESS_FILE}`);
        // The pre-migration job takes no part: only scheduled runs say the schedule works.
        expect(containerNamed(resources, "pre-migrate-backup").inputs.envs as string[]).to.not.include(
            `LAST_SUCCESS_FILE=${LAST_SUCCESS_FILE}`,
        );
    });
});
