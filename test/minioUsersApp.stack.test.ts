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
import { createHmac } from "crypto";
import { BUCKETS } from "../components/services/context";
import {
    APP_UPLOADS_POLICY,
    BACKUP_APPEND_POLICY,
    BACKUP_SYNC_USER,
    MINIO_APP_USER,
    MINIO_ROOT_USER,
    renderAppUploadsPolicy,
} from "../components/services/minio";
import { deployStack } from "../components/stack";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { blastRadius } from "../scripts/lib/blastRadius";
import { RegisteredResource, runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { readBackModels } from "../scripts/lib/readBack/models";
import { loadStackSettings, shippedStacks } from "../scripts/lib/stackFiles";
import { containerNamed, uploadText } from "./helpers";
import { allowed, APP_POLICY_FILE, APP_SECRET_FILE, MC_DIR, Statement } from "./minioUsersFixtures";
import { shippedRun } from "./variantRuns";

function appPolicy(resources: RegisteredResource[]): Statement[] {
    return (JSON.parse(uploadText(resources, "minio-init", APP_POLICY_FILE)) as { Statement: Statement[] }).Statement;
}

/** What an S3 SDK does with the uploads bucket, and the action MinIO checks for each (components/services/minio.ts). */
const APP_CALLS: Array<[string, string, string]> = [
    ["PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload", "s3:PutObject", "a/b.jpg"],
    ["GetObject, HeadObject, the source of CopyObject", "s3:GetObject", "a/b.jpg"],
    ["DeleteObject, DeleteObjects", "s3:DeleteObject", "a/b.jpg"],
    ["AbortMultipartUpload", "s3:AbortMultipartUpload", "a/b.jpg"],
    ["ListParts", "s3:ListMultipartUploadParts", "a/b.jpg"],
    ["ListObjects, ListObjectsV2, HeadBucket", "s3:ListBucket", ""],
    ["ListMultipartUploads", "s3:ListBucketMultipartUploads", ""],
    ["GetBucketLocation", "s3:GetBucketLocation", ""],
];

describe("the app's MinIO user: the uploads bucket and nothing else (issue 15, finding 12)", function () {
    this.timeout(120_000);

    // Rung 1. Fails on the code before this change, which handed backend and worker the root user.
    it("hands backend and worker the app user's keys, never the root user's, on every shipped stack", async () => {
        for (const stack of shippedStacks()) {
            const { resources } = await shippedRun(stack);
            const rootPassword = uploadText(resources, "minio", "/run/secrets/minio_root_password");
            for (const name of ["backend", "worker"]) {
                const accessKey = uploadText(resources, name, "/run/secrets/s3_access_key_id");
                const secretKey = uploadText(resources, name, "/run/secrets/s3_secret_access_key");
                expect(accessKey, `${stack} ${name}: not the root user`).to.not.equal(MINIO_ROOT_USER);
                expect(secretKey, `${stack} ${name}: not the root password`).to.not.equal(rootPassword);
                expect(accessKey, `${stack} ${name}`).to.equal(MINIO_APP_USER);
                const appSecret = uploadText(resources, "minio-init", APP_SECRET_FILE);
                expect(appSecret, `${stack}: 64 hex digits`).to.match(/^[0-9a-f]{64}$/);
                expect(secretKey, `${stack} ${name}: the key minio-init gives the app user`).to.equal(appSecret);
                expect(secretKey, `${stack} ${name}: not backup-sync's key`).to.not.equal(
                    uploadText(resources, "minio-init", `${MC_DIR}/backup-sync-secret`),
                );
                const uploads = containerNamed(resources, name).inputs.uploads as Array<{
                    file: string;
                    content: unknown;
                }>;
                const upload = uploads.find((u) => u.file === "/run/secrets/s3_secret_access_key")!;
                expect(upload.content, `${stack} ${name}: kept secret`).to.be.instanceOf(SecretValue);
                expect(
                    JSON.stringify(containerNamed(resources, name).inputs.envs),
                    `${stack} ${name}: no key in the env`,
                ).to.not.contain(secretKey);
            }
            const initUploads = containerNamed(resources, "minio-init").inputs.uploads as Array<{
                file: string;
                content: unknown;
            }>;
            expect(
                initUploads.find((u) => u.file === APP_SECRET_FILE)!.content,
                `${stack}: kept secret in minio-init`,
            ).to.be.instanceOf(SecretValue);
        }
    });

    it("keeps backup-sync's key as it was, so the change does not replace backup-sync", async () => {
        const { resources } = await shippedRun("prod");
        const rootPassword = uploadText(resources, "minio", "/run/secrets/minio_root_password");
        const before = createHmac("sha256", rootPassword).update("freshtrack minio backup-sync user").digest("hex");
        expect(uploadText(resources, "minio-init", `${MC_DIR}/backup-sync-secret`)).to.equal(before);
        expect(
            JSON.parse(uploadText(resources, "backup-sync", `${MC_DIR}/config.json`)).aliases.local.secretKey,
        ).to.equal(before);
    });

    // Rung 2: the policy through a model of MinIO's evaluation (allowed(), test/minioUsersFixtures.ts).
    it("allows every call an S3 SDK makes on uploads, multipart included", async () => {
        const { resources } = await shippedRun("prod");
        const policy = appPolicy(resources);
        for (const [calls, action, object] of APP_CALLS)
            expect(allowed(policy, action, BUCKETS.uploads, object), `${calls}: ${action}`).to.equal(true);
    });

    it("allows nothing on the backups bucket, and denies it explicitly, so that no later Allow can reach it", async () => {
        const { resources } = await shippedRun("prod");
        const policy = appPolicy(resources);
        const bucketChanges = [
            "s3:DeleteObjectVersion",
            "s3:PutBucketVersioning",
            "s3:PutLifecycleConfiguration",
            "s3:PutBucketPolicy",
            "s3:DeleteBucket",
        ];
        const actions = [...APP_CALLS.map(([, a]) => a), ...bucketChanges];
        for (const action of actions) {
            for (const object of ["", "postgres/freshtrack-20250101T031500Z.dump"]) {
                expect(allowed(policy, action, BUCKETS.backups, object), `${action} on backups/${object}`).to.equal(
                    false,
                );
                const widened = [
                    ...policy,
                    { Effect: "Allow" as const, Action: ["s3:*"], Resource: ["arn:aws:s3:::*"] },
                ];
                expect(
                    allowed(widened, action, BUCKETS.backups, object),
                    `${action} on backups/${object}, with an Allow of everything added`,
                ).to.equal(false);
            }
        }
    });

    it("allows no bucket-level change on uploads, no other bucket, and no admin action, not even on itself", async () => {
        const { resources } = await shippedRun("prod");
        const policy = appPolicy(resources);
        const bucketChanges = [
            "s3:DeleteBucket",
            "s3:PutBucketPolicy",
            "s3:PutBucketVersioning",
            "s3:PutLifecycleConfiguration",
            "s3:PutBucketObjectLockConfiguration",
        ];
        for (const action of bucketChanges) {
            expect(allowed(policy, action, BUCKETS.uploads), action).to.equal(false);
        }
        expect(allowed(policy, "s3:CreateBucket", "another"), "CreateBucket").to.equal(false);
        expect(allowed(policy, "s3:ListAllMyBuckets"), "ListBuckets").to.equal(false);
        expect(allowed(policy, "s3:GetObject", "another", "x"), "another bucket").to.equal(false);
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
        }
        // A user may change its own password and make access keys for itself unless a policy denies it
        // (minio cmd/admin-handlers-users.go:490-500, :2960-2978: DenyOnly); keys made so would outlive a rotation.
        for (const action of ["admin:CreateUser", "admin:CreateServiceAccount"]) {
            expect(allowed(policy, action, "", "", true), `${action} on itself`).to.equal(false);
        }
    });

    it("is a policy MinIO's parser accepts: known version and actions, S3 statements with resources, admin statements only admin actions", async () => {
        const { resources } = await shippedRun("prod");
        expect(uploadText(resources, "minio-init", APP_POLICY_FILE)).to.equal(
            renderAppUploadsPolicy(BUCKETS.uploads, BUCKETS.backups),
        );
        const doc = JSON.parse(uploadText(resources, "minio-init", APP_POLICY_FILE)) as Record<string, unknown>;
        // minio/pkg v3.1.3 policy/policy.go:216-218 (version), :295-305 (DisallowUnknownFields);
        // policy/statement.go:29-37 (statement fields), :128-148 (admin statements: admin actions only, Resource
        // ignored), :181-199 (S3 statements: a Resource, valid actions); action names from
        // policy/action.go:32,51,54,66,78,87,98,116,210 and admin-action.go:228.
        expect(Object.keys(doc).sort()).to.deep.equal(["Statement", "Version"]);
        expect(doc.Version).to.equal("2012-10-17");
        const known = new Set([
            "s3:AbortMultipartUpload",
            "s3:DeleteObject",
            "s3:GetBucketLocation",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:ListBucketMultipartUploads",
            "s3:ListMultipartUploadParts",
            "s3:PutObject",
            "s3:*",
            "admin:*",
        ]);
        for (const st of doc.Statement as Statement[]) {
            expect(
                Object.keys(st).every((k) => ["Effect", "Action", "Resource"].includes(k)),
                JSON.stringify(st),
            ).to.equal(true);
            for (const a of st.Action) expect(known.has(a), a).to.equal(true);
            const admin = st.Action.filter((a) => a.startsWith("admin:"));
            if (admin.length > 0) {
                expect(admin, "admin actions stand alone").to.have.length(st.Action.length);
                expect(st.Effect, "admin actions are only ever denied").to.equal("Deny");
            } else {
                expect(st.Resource, JSON.stringify(st)).to.be.an("array").that.is.not.empty;
                for (const r of st.Resource!) expect(r).to.match(/^arn:aws:s3:::[a-z0-9.-]+(\/\*)?$/);
            }
            const uploadsOnly = new RegExp(`^arn:aws:s3:::${BUCKETS.uploads}(/\\*)?$`);
            if (st.Effect === "Allow")
                for (const r of st.Resource!) expect(r, "Allow names only uploads").to.match(uploadsOnly);
        }
    });

    it("is made by minio-init after the backup-sync user: policy, then the user with its secret on stdin, then the attachment", async () => {
        const { resources } = await shippedRun("prod");
        const steps = (containerNamed(resources, "minio-init").inputs.command as string[])[0]!.split("\n");
        const mc = `mc --config-dir ${MC_DIR}`;
        const create = steps.indexOf(`${mc} admin policy create local ${APP_UPLOADS_POLICY} ${APP_POLICY_FILE}`);
        const add = steps.indexOf(`${mc} admin user add local ${MINIO_APP_USER} <${APP_SECRET_FILE}`);
        const attach = steps.indexOf(`${mc} admin policy attach local ${APP_UPLOADS_POLICY} --user ${MINIO_APP_USER}`);
        expect(
            [create, add, attach].every((i) => i > 0),
            steps.join("\n"),
        ).to.equal(true);
        expect(create < attach && add < attach, "the attachment names a policy and a user that exist").to.equal(true);
        expect(steps[0]).to.equal("set -eu");
        expect(steps.join("\n"), "no secret on a command line").to.not.match(/[0-9a-f]{64}/);
        // The backup-sync user's steps are still there, as they were.
        expect(steps).to.include(`${mc} admin policy attach local ${BACKUP_APPEND_POLICY} --user ${BACKUP_SYNC_USER}`);
    });

    // Rung 2 (provider model, scripts/lib/blastRadius.ts): backend and worker require minio-init's exit code now, so a
    // change that runs minio-init again on its own must not replace them, in the preview (where the job's exit code
    // is unknown) or in the update.
    it("runs minio-init again on its own without replacing backend or worker, in the preview as in the update", async () => {
        const replaced = (before: RegisteredResource[], after: RegisteredResource[]) => {
            const radius = blastRadius(before, after, readBackModels("local", before));
            return [...radius.containers.replace, ...radius.containers.create].sort();
        };
        const deployed = await shippedRun("dev");
        const settings = loadStackSettings("dev");
        settings.config["freshtrack:backup"] = JSON.stringify({ schedule: "0 */6 * * *", retentionDays: 4 });
        const preview = await runUnderMocks(settings, deployStack, {
            preview: true,
            exitCodes: { "minio-init": unknownValue as unknown as number },
        });
        const update = await runUnderMocks(settings, deployStack);
        const updated = replaced(deployed.resources, update.resources);
        expect(updated, "the scenario reruns minio-init").to.include("minio-init");
        expect(updated).to.not.include("backend").and.not.include("worker");
        expect(replaced(deployed.resources, preview.resources)).to.deep.equal(updated);
    });

    it("leaves MinIO itself as it was: the app user's files go to minio-init only", async () => {
        const { resources } = await shippedRun("prod");
        const files = (name: string) =>
            (containerNamed(resources, name).inputs.uploads as Array<{ file: string }>).map((u) => u.file);
        expect(files("minio")).to.deep.equal(["/run/secrets/minio_root_user", "/run/secrets/minio_root_password"]);
        expect(files("minio-init")).to.include.members([APP_POLICY_FILE, APP_SECRET_FILE]);
    });
});
