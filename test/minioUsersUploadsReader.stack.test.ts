/**
 * Issue 15, finding 2: backup-offsite copies the uploads bucket, and reads it as a user that can do nothing else.
 * Rungs 1 (mocks: what minio-init and backup-offsite receive) and 2 (the policy through the model of MinIO's
 * evaluation in test/minioUsersFixtures.ts, allowed(), and its parser's rules). Each fails on the code before this
 * change, which had no such user.
 *
 * No MinIO server runs here (none can be installed on these machines), so the policy's effect is argued from the
 * source, each rule cited at minio/pkg@v3.1.3; test/minioUsersApp.stack.test.ts checks the app's own user.
 */
import { expect } from "chai";
import { createHmac } from "crypto";
import { BUCKETS } from "../components/services/context";
import { renderUploadsReadPolicy, UPLOADS_READ_POLICY, UPLOADS_READER_USER } from "../components/services/minio";
import { RegisteredResource, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { containerNamed, containers, uploadText, withOffsite } from "./helpers";
import { sharedRun, shippedRun } from "./variantRuns";
import { allowed, APP_SECRET_FILE, MC_DIR, Statement, wildcard } from "./minioUsersFixtures";

/**
 * Every S3 action MinIO knows (minio/pkg@v3.1.3 policy/action.go:32-207, the version MinIO RELEASE.2025-09-07T16-13-09Z
 * builds with), so that a policy's effect can be checked on all of them, not on a chosen few.
 */
const ALL_S3_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:ForceDeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteBucketCors",
    "s3:DeleteObject",
    "s3:GetBucketLocation",
    "s3:GetBucketNotification",
    "s3:GetBucketPolicy",
    "s3:GetBucketCors",
    "s3:GetObject",
    "s3:GetObjectAttributes",
    "s3:HeadBucket",
    "s3:ListAllMyBuckets",
    "s3:ListBucket",
    "s3:GetBucketPolicyStatus",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
    "s3:ListenNotification",
    "s3:ListenBucketNotification",
    "s3:ListMultipartUploadParts",
    "s3:PutLifecycleConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:PutBucketNotification",
    "s3:PutBucketPolicy",
    "s3:PutBucketCors",
    "s3:PutObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectVersionTagging",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectVersionTagging",
    "s3:PutObjectVersionTagging",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectRetention",
    "s3:GetObjectRetention",
    "s3:GetObjectLegalHold",
    "s3:PutObjectLegalHold",
    "s3:GetBucketObjectLockConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:GetBucketTagging",
    "s3:PutBucketTagging",
    "s3:GetObjectTagging",
    "s3:PutObjectTagging",
    "s3:DeleteObjectTagging",
    "s3:PutEncryptionConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:PutBucketVersioning",
    "s3:GetBucketVersioning",
    "s3:GetReplicationConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
    "s3:GetObjectVersionForReplication",
    "s3:RestoreObject",
    "s3:ResetBucketReplicationState",
    "s3:PutObjectFanOut",
];

/** What `mc mirror` needs of its source bucket (components/services/minio.ts, renderUploadsReadPolicy). */
const READ_CALLS: Array<[string, string]> = [
    ["s3:ListBucket", ""],
    ["s3:GetBucketLocation", ""],
    ["s3:GetObject", "2025/11/probe-photo.jpg"],
];

describe("the uploads reader: backup-offsite reads the uploads bucket and can change nothing (issue 15, finding 2)", function () {
    this.timeout(120_000);
    const READER_POLICY_FILE = `${MC_DIR}/uploads-read-policy.json`;
    const READER_SECRET_FILE = `${MC_DIR}/uploads-reader-secret`;
    const readerPolicy = (resources: RegisteredResource[]) =>
        (JSON.parse(uploadText(resources, "minio-init", READER_POLICY_FILE)) as { Statement: Statement[] }).Statement;

    it("may list the uploads bucket and read its objects: all that mc mirror does with a source", async () => {
        const { resources } = await shippedRun("prod");
        const policy = readerPolicy(resources);
        for (const [action, object] of READ_CALLS)
            expect(allowed(policy, action, BUCKETS.uploads, object), action).to.equal(true);
    });

    it("may not write, delete or change anything in uploads, or in any other bucket, whatever is later allowed beside it", async () => {
        const { resources } = await shippedRun("prod");
        const policy = readerPolicy(resources);
        const reads = new Set(READ_CALLS.map(([a]) => a));
        const widened = [...policy, { Effect: "Allow" as const, Action: ["s3:*"], Resource: ["arn:aws:s3:::*"] }];
        // Every action that is not a read is refused, on the bucket and on its objects.
        for (const action of ALL_S3_ACTIONS.filter((a) => !reads.has(a))) {
            for (const object of ["", "2025/11/probe-photo.jpg"]) {
                expect(allowed(policy, action, BUCKETS.uploads, object), `${action} on uploads/${object}`).to.equal(
                    false,
                );
            }
        }
        // What changes anything stays refused with an Allow of everything added: the Deny names it.
        const changes = ALL_S3_ACTIONS.filter((a) =>
            /^s3:(Put|Delete|Create|ForceDelete|Abort|Bypass|Replicate|Restore|Reset)/.test(a),
        );
        expect(changes, "the put, delete and abort actions at least").to.include.members([
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:AbortMultipartUpload",
        ]);
        for (const action of changes) {
            for (const bucket of [BUCKETS.uploads, "another"]) {
                expect(
                    allowed(widened, action, bucket, "x"),
                    `${action} on ${bucket}/x, with s3:* allowed beside it`,
                ).to.equal(false);
                expect(
                    allowed(widened, action, bucket),
                    `${action} on ${bucket}, with s3:* allowed beside it`,
                ).to.equal(false);
            }
        }
        expect(allowed(policy, "s3:GetObject", "another", "x"), "another bucket").to.equal(false);
        expect(allowed(policy, "s3:ListAllMyBuckets"), "ListBuckets").to.equal(false);
    });

    it("may not touch the backups bucket, not even read it, and may do no admin action, not even on itself", async () => {
        const { resources } = await shippedRun("prod");
        const policy = readerPolicy(resources);
        const widened = [...policy, { Effect: "Allow" as const, Action: ["s3:*"], Resource: ["arn:aws:s3:::*"] }];
        for (const action of ALL_S3_ACTIONS) {
            for (const object of ["", "postgres/freshtrack-scheduled-20250101T031500Z.dump"]) {
                expect(
                    allowed(widened, action, BUCKETS.backups, object),
                    `${action} on backups/${object}, with s3:* allowed beside it`,
                ).to.equal(false);
            }
        }
        const adminActions = [
            "admin:ServerInfo",
            "admin:CreateUser",
            "admin:CreatePolicy",
            "admin:AttachUserOrGroupPolicy",
            "admin:ConfigUpdate",
            "admin:CreateServiceAccount",
        ];
        for (const action of adminActions) {
            expect(allowed(policy, action), action).to.equal(false);
            expect(allowed(policy, action, "", "", true), `${action} on itself`).to.equal(false);
        }
    });

    it("is a policy MinIO's parser accepts: each action, patterns included, names a known action; S3 statements have resources", async () => {
        const { resources } = await shippedRun("prod");
        expect(uploadText(resources, "minio-init", READER_POLICY_FILE)).to.equal(
            renderUploadsReadPolicy(BUCKETS.uploads, BUCKETS.backups),
        );
        const doc = JSON.parse(uploadText(resources, "minio-init", READER_POLICY_FILE)) as Record<string, unknown>;
        // minio/pkg v3.1.3 policy/policy.go:216-218,295-305; statement.go:128-148 (admin), :181-199 (S3: a Resource,
        // and every action valid, which a pattern is when it matches a supported action: action.go:320-333).
        expect(Object.keys(doc).sort()).to.deep.equal(["Statement", "Version"]);
        expect(doc.Version).to.equal("2012-10-17");
        for (const st of doc.Statement as Statement[]) {
            expect(
                Object.keys(st).every((k) => ["Effect", "Action", "Resource"].includes(k)),
                JSON.stringify(st),
            ).to.equal(true);
            const admin = st.Action.filter((a) => a.startsWith("admin:"));
            if (admin.length > 0) {
                expect(st.Action, "admin actions stand alone, and only denied").to.deep.equal(["admin:*"]);
                expect(st.Effect).to.equal("Deny");
                continue;
            }
            for (const a of st.Action)
                expect(
                    ALL_S3_ACTIONS.some((known) => wildcard(a, known)),
                    a,
                ).to.equal(true);
            expect(st.Resource, JSON.stringify(st)).to.be.an("array").that.is.not.empty;
            for (const r of st.Resource!) expect(r).to.match(/^arn:aws:s3:::([a-z0-9.-]+(\/\*)?|\*)$/);
            if (st.Effect === "Allow")
                for (const r of st.Resource!)
                    expect(r, "Allow names only uploads").to.match(
                        new RegExp(`^arn:aws:s3:::${BUCKETS.uploads}(/\\*)?$`),
                    );
        }
    });

    it("is made by minio-init: its policy, then the user with its secret on stdin, then the attachment; and backup-offsite alone gets its key", async () => {
        const { resources } = await shippedRun("prod");
        const steps = (containerNamed(resources, "minio-init").inputs.command as string[])[0]!.split("\n");
        const mc = `mc --config-dir ${MC_DIR}`;
        const create = steps.indexOf(`${mc} admin policy create local ${UPLOADS_READ_POLICY} ${READER_POLICY_FILE}`);
        const add = steps.indexOf(`${mc} admin user add local ${UPLOADS_READER_USER} <${READER_SECRET_FILE}`);
        const attach = steps.indexOf(
            `${mc} admin policy attach local ${UPLOADS_READ_POLICY} --user ${UPLOADS_READER_USER}`,
        );
        expect(
            [create, add, attach].every((i) => i > 0),
            steps.join("\n"),
        ).to.equal(true);
        expect(create < attach && add < attach).to.equal(true);
        const init = containerNamed(resources, "minio-init").inputs.uploads as Array<{
            file: string;
            content: unknown;
        }>;
        expect(init.find((u) => u.file === READER_SECRET_FILE)!.content, "kept secret").to.be.instanceOf(SecretValue);
        const secret = uploadText(resources, "minio-init", READER_SECRET_FILE);
        expect(secret).to.match(/^[0-9a-f]{64}$/);
        const rootPassword = uploadText(resources, "minio", "/run/secrets/minio_root_password");
        expect(secret, "derived with a label of its own").to.equal(
            createHmac("sha256", rootPassword).update("freshtrack minio uploads reader user").digest("hex"),
        );
        const others = [
            rootPassword,
            uploadText(resources, "minio-init", APP_SECRET_FILE),
            uploadText(resources, "minio-init", `${MC_DIR}/backup-sync-secret`),
        ];
        expect(others).to.not.include(secret);
        // Without an offsite store no container but minio-init holds it.
        for (const c of containers(resources).filter((c) => c.name !== "minio-init")) {
            expect(JSON.stringify(c.inputs), c.name).to.not.contain(secret);
        }
        const { resources: withStore } = await sharedRun(withOffsite(loadStackSettings("prod")));
        const aliases = JSON.parse(uploadText(withStore, "backup-offsite", `${MC_DIR}/config.json`)).aliases;
        expect(aliases.local).to.deep.equal({
            url: "http://minio:9000",
            accessKey: UPLOADS_READER_USER,
            secretKey: secret,
            api: "S3v4",
            path: "auto",
        });
    });
});
