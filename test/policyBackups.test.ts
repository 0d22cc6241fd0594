/**
 * Rung 1: stack-backups-and-monitoring on the backup containers: no copy that follows deletions, encryption for a copy
 * that leaves the host, and an offsite copy of everything on a block volume that droplet backups do not cover.
 */
import { expect } from "chai";
import { resource, container, findingsFor, droplet, watchingMirror } from "./policyFixtures";
import { inService } from "./policyCaseFixtures";

describe("backup copies that follow deletions, and a data volume no backup covers (issue 15, finding 2)", () => {
    const RULE = "stack-backups-and-monitoring";
    const doVolume = () => resource("digitalocean:index/volume:Volume", { name: "freshtrack-prod-data", size: 100 });
    const loop = (args: string) => [
        "/bin/sh",
        "-c",
        `set -u\nwhile :; do\n  mc --config-dir /run/secrets/mc mirror --older-than 2m --exclude '*.partial'${args} ||\n  sleep 300 &\n  wait $!\ndone`,
    ];
    const appendOnly = (service = "backup-sync", args = " /backups/postgres local/backups/postgres") =>
        container({ entrypoints: loop(args).slice(0, 2), command: [loop(args)[2]] }, service);

    it("refuses a mirror with --watch, --remove or --overwrite in every stack, production or not (rung 1: policy on registered inputs)", async () => {
        const findings = await findingsFor(RULE, inService(watchingMirror()), { [RULE]: { required: false } });
        expect(findings.map((f) => f.message)).to.deep.equal([
            "backup-sync: mirrors with --remove, which removes copies whose source is gone: an emptied or rebuilt backups volume must never cost a copy.",
            "backup-sync: mirrors with --watch, which removes on the target every file removed at the source, --remove or not (minio/mc@RELEASE.2025-08-13T08-35-41Z cmd/mirror-main.go:754): an emptied or rebuilt backups volume must never cost a copy.",
            "backup-sync: mirrors with --overwrite, which lets a corrupt or emptied local file replace a good copy: an emptied or rebuilt backups volume must never cost a copy.",
        ]);
        expect(findings.every((f) => f.kind === "violation" && f.enforcementLevel === "mandatory")).to.equal(true);
    });

    it("accepts the append-only loop, and requires --enc-c for a copy that leaves the host", async () => {
        expect(await findingsFor(RULE, inService(appendOnly()), {})).to.deep.equal([]);
        const plainOffsite = appendOnly("backup-offsite", " /backups/postgres offsite/acme-backups/postgres");
        expect((await findingsFor(RULE, inService(plainOffsite), {})).map((f) => f.message)).to.deep.equal([
            "backup-offsite: copies offsite without --enc-c: the copies leave the host unencrypted.",
        ]);
        const encrypted = appendOnly(
            "backup-offsite",
            ' --enc-c "offsite/acme-backups/postgres/=$(cat /run/secrets/mc/offsite-sse-c.key)" /backups/postgres offsite/acme-backups/postgres',
        );
        expect(await findingsFor(RULE, inService(encrypted), {})).to.deep.equal([]);
    });

    it("does not take droplet backups for a backup of the block volume: with offsiteForVolumes, the volume needs an offsite copy", async () => {
        const config = { [RULE]: { required: true, offsiteForVolumes: true } };
        const findings = await findingsFor(
            RULE,
            [droplet({ backups: true }), doVolume(), ...inService(appendOnly())],
            config,
        );
        expect(findings.map((f) => f.message)).to.have.length(1);
        expect(findings[0]!.message).to.match(
            /^volume r\d+ holds the stack's data and droplet backups do not cover block volumes; its only other copy is on the same host\. Set freshtrack:backup\.offsite/,
        );
        const both = appendOnly(
            "backup-offsite",
            ' --enc-c "offsite/b/=$(cat /k)" /backups/postgres offsite/b/postgres ||\n  mc mirror --older-than 2m --enc-c "offsite/b/=$(cat /k)" local/uploads offsite/b/uploads',
        );
        expect(
            await findingsFor(RULE, [droplet({ backups: true }), doVolume(), ...inService(appendOnly(), both)], config),
        ).to.deep.equal([]);
    });

    // Issue 15, finding 2 (the attack pass): the rule passed as soon as a container labelled backup-offsite existed,
    // though it copied only the dumps, and the uploaded files, in MinIO on the same volume, had no copy anywhere else.
    it("does not take a mirror of the dumps alone for a copy of the volume: backup-offsite must copy the uploads bucket too", async () => {
        const config = { [RULE]: { required: true, offsiteForVolumes: true } };
        const dumpsOnly = appendOnly(
            "backup-offsite",
            ' --enc-c "offsite/b/postgres/=$(cat /k)" /backups/postgres offsite/b/postgres',
        );
        const findings = await findingsFor(
            RULE,
            [droplet({ backups: true }), doVolume(), ...inService(appendOnly(), dumpsOnly)],
            config,
        );
        expect(findings.map((f) => f.message)).to.have.length(1);
        expect(findings[0]!.message).to.match(
            /^volume r\d+ holds the stack's data and droplet backups do not cover block volumes; backup-offsite copies nothing of the uploaded files \(MinIO bucket uploads, which exist nowhere else\) off the host\./,
        );
        // Nor the uploads alone, nor copies to a target that is not offsite.
        const uploadsOnly = appendOnly(
            "backup-offsite",
            ' --enc-c "offsite/b/=$(cat /k)" local/uploads offsite/b/uploads',
        );
        const [onlyUploads] = await findingsFor(RULE, [doVolume(), ...inService(uploadsOnly)], config);
        expect(onlyUploads!.message).to.contain(
            "copies nothing of the database dumps (/backups/postgres) off the host",
        );
        const local = appendOnly(
            "backup-offsite",
            " /backups/postgres local/backups/postgres ||\n  mc mirror local/uploads local/backups/uploads",
        );
        const [notOffsite] = await findingsFor(RULE, [doVolume(), ...inService(local)], config);
        expect(notOffsite!.message).to.contain(
            "copies nothing of the database dumps (/backups/postgres) or the uploaded files",
        );
        // The written decision to accept the risk still lifts it.
        expect(
            await findingsFor(RULE, [doVolume(), ...inService(dumpsOnly)], {
                [RULE]: { required: true, offsiteForVolumes: false },
            }),
        ).to.deep.equal([]);
    });

    // Issue 18: a stack that streams its write-ahead log keeps point-in-time recovery's base backups and log on the
    // same volume (/backups/pitr); an offsite copy without them restores only to the last dump. Rung 1.
    it("requires an offsite copy of /backups/pitr too where a wal-receiver runs, and names it when it is missing", async () => {
        const config = { [RULE]: { required: true, offsiteForVolumes: true } };
        const mirror = (source: string, target: string) =>
            ` --enc-c "offsite/b/=$(cat /k)" ${source} offsite/b/${target} ||\n  mc mirror --older-than 2m`;
        const offsite = (...copies: string[]) =>
            appendOnly(
                "backup-offsite",
                `${copies.join("")} --enc-c "offsite/b/=$(cat /k)" local/uploads offsite/b/uploads`,
            );
        const dumpsAndUploads = offsite(mirror("/backups/postgres", "postgres"));
        const receiver = container({}, "wal-receiver", "stateful");
        const [finding, ...others] = await findingsFor(
            RULE,
            [doVolume(), ...inService(appendOnly(), receiver, dumpsAndUploads)],
            config,
        );
        expect(others).to.deep.equal([]);
        expect(finding!.message).to.match(
            /^volume r\d+ holds the stack's data and droplet backups do not cover block volumes; backup-offsite copies nothing of the base backups and write-ahead log of point-in-time recovery \(\/backups\/pitr, from wal-receiver\) off the host\. Mirror each to the offsite store/,
        );
        // With the copy, nothing is missing; without a receiver, there is nothing of point-in-time recovery to copy.
        const all = offsite(mirror("/backups/postgres", "postgres"), mirror("/backups/pitr/", "pitr"));
        expect(await findingsFor(RULE, [doVolume(), ...inService(appendOnly(), receiver, all)], config)).to.deep.equal(
            [],
        );
        expect(
            await findingsFor(RULE, [doVolume(), ...inService(appendOnly(), dumpsAndUploads)], config),
        ).to.deep.equal([]);
        // Every gap is named, in one list.
        const [none] = await findingsFor(
            RULE,
            [doVolume(), ...inService(receiver, appendOnly("backup-offsite"))],
            config,
        );
        expect(none!.message).to.contain(
            "copies nothing of the database dumps (/backups/postgres), the base backups and write-ahead log of point-in-time recovery (/backups/pitr, from wal-receiver) or the uploaded files",
        );
    });

    // The second attack pass: the words `mirror <source> <target>` anywhere in the script were enough.
    it("takes only a mirror that mc really runs and that copies something: not a comment, an echo, a dry run or an exclude of everything", async () => {
        const config = { [RULE]: { required: true, offsiteForVolumes: true } };
        const both =
            ' --enc-c "offsite/b/=$(cat /k)" /backups/postgres offsite/b/postgres ||\n  mc --config-dir /run/secrets/mc mirror --older-than 2m --enc-c "offsite/b/=$(cat /k)" local/uploads offsite/b/uploads';
        expect(
            await findingsFor(RULE, [doVolume(), ...inService(appendOnly("backup-offsite", both))], config),
            "the real pair",
        ).to.deep.equal([]);
        const fakes: Array<[string, string]> = [
            ["a comment", both.replace("||\n  mc --config-dir", "||\n# mc --config-dir")],
            ["an echo", both.replace("||\n  mc --config-dir /run/secrets/mc mirror", "||\n  echo mirror")],
            ["a dry run", both.replace("mirror --older-than 2m --enc-c", "mirror --dry-run --older-than 2m --enc-c")],
            [
                "an exclude of everything",
                both.replace("mirror --older-than 2m --enc-c", "mirror --exclude '*' --older-than 2m --enc-c"),
            ],
            ["the offsite store as the source", both.replace("local/uploads", "offsite/uploads")],
        ];
        for (const [what, args] of fakes) {
            const findings = await findingsFor(
                RULE,
                [doVolume(), ...inService(appendOnly("backup-offsite", args))],
                config,
            );
            expect(findings.map((f) => f.message).join(" "), what).to.contain("copies nothing of the uploaded files");
        }
    });
});
