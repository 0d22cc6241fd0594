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
import * as path from "path";
import { BUCKETS } from "../components/services/context";
import {
    APP_UPLOADS_POLICY,
    BACKUP_APPEND_POLICY,
    BACKUP_SYNC_USER,
    MINIO_APP_USER,
    MINIO_ROOT_USER,
    renderAppUploadsPolicy,
    renderUploadsReadPolicy,
    UPLOADS_READ_POLICY,
    UPLOADS_READER_USER,
} from "../components/services/minio";
import { deployStack } from "../components/stack";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { blastRadius } from "../scripts/lib/blastRadius";
import { RegisteredResource, runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { readBackModels } from "../scripts/lib/readBack/models";
import { loadStackSettings, shippedStacks } from "../scripts/lib/stackFiles";
import { containerNamed, containers, runStack, uploadText, withOffsite } from "./helpers";
import { MC_DIR } from "./minioUsersFixtures";
const APP_POLICY_FILE = `${MC_DIR}/app-uploads-policy.json`;
const APP_SECRET_FILE = `${MC_DIR}/app-user-secret`;

interface Statement {
    Effect: "Allow" | "Deny";
    Action: string[];
    Resource?: string[];
}

/** minio/pkg v3.1.3 wildcard/match.go:39-70: `*` any run of characters, `?` exactly one. */
function wildcard(pattern: string, name: string): boolean {
    if (pattern === "*") return true;
    const re = new RegExp(
        `^${pattern
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, "[\\s\\S]*")
            .replace(/\?/g, "[\\s\\S]")}$`,
    );
    return re.test(name);
}

/**
 * Whether a MinIO user whose only policy is `statements` may do `action`, after minio/pkg v3.1.3:
 * Policy.IsAllowed (policy/policy.go:173-206: any matching Deny refuses; with DenyOnly, that is all that is
 * checked; otherwise a matching Allow is needed), Statement.IsAllowed (policy/statement.go:44-92: the action by
 * wildcard, policy/action.go:320-322; the resource `bucket/object`, or `bucket/` for a bucket, matched by
 * Resource.Match, policy/resource.go:125-133; resources ignored for admin actions, :79).
 */
function allowed(statements: Statement[], action: string, bucket = "", object = "", denyOnly = false): boolean {
    const resource = `${bucket}/${object}`;
    // Go's path.Clean: no trailing slash but on "/" itself.
    const cleaned = resource === "/" ? "/" : path.posix.normalize(resource).replace(/\/$/, "");
    const matches = (st: Statement) => {
        if (!st.Action.some((a) => wildcard(a, action))) return false;
        if (st.Action.some((a) => a.startsWith("admin:")) || !st.Resource || st.Resource.length === 0) return true;
        return st.Resource.map((r) => r.replace(/^arn:aws:s3:::/, "")).some(
            (p) => p === cleaned || wildcard(p, resource),
        );
    };
    if (statements.some((st) => st.Effect === "Deny" && matches(st))) return false;
    if (denyOnly) return true;
    return statements.some((st) => st.Effect === "Allow" && matches(st));
}

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
            const { resources } = await runStack(stack, deployStack);
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
        const { resources } = await runStack("prod", deployStack);
        const rootPassword = uploadText(resources, "minio", "/run/secrets/minio_root_password");
        const before = createHmac("sha256", rootPassword).update("freshtrack minio backup-sync user").digest("hex");
        expect(uploadText(resources, "minio-init", `${MC_DIR}/backup-sync-secret`)).to.equal(before);
        expect(
            JSON.parse(uploadText(resources, "backup-sync", `${MC_DIR}/config.json`)).aliases.local.secretKey,
        ).to.equal(before);
    });

    // Rung 2: the policy through a model of MinIO's evaluation (allowed(), above).
    it("allows every call an S3 SDK makes on uploads, multipart included", async () => {
        const { resources } = await runStack("prod", deployStack);
        const policy = appPolicy(resources);
        for (const [calls, action, object] of APP_CALLS)
            expect(allowed(policy, action, BUCKETS.uploads, object), `${calls}: ${action}`).to.equal(true);
    });

    it("allows nothing on the backups bucket, and denies it explicitly, so that no later Allow can reach it", async () => {
        const { resources } = await runStack("prod", deployStack);
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
        const { resources } = await runStack("prod", deployStack);
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
        const { resources } = await runStack("prod", deployStack);
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
        const { resources } = await runStack("prod", deployStack);
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
        const deployed = await runStack("dev", deployStack);
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
        const { resources } = await runUnderMocks(loadStackSettings("prod"), deployStack);
        const files = (name: string) =>
            (containerNamed(resources, name).inputs.uploads as Array<{ file: string }>).map((u) => u.file);
        expect(files("minio")).to.deep.equal(["/run/secrets/minio_root_user", "/run/secrets/minio_root_password"]);
        expect(files("minio-init")).to.include.members([APP_POLICY_FILE, APP_SECRET_FILE]);
    });
});

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

/**
 * Issue 15, finding 2: backup-offsite copies the uploads bucket, and reads it as a user that can do nothing else.
 * Rungs 1 (mocks: what minio-init and backup-offsite receive) and 2 (the policy through the model of MinIO's
 * evaluation above, allowed(), and its parser's rules). Each fails on the code before this change, which had no
 * such user.
 */
describe("the uploads reader: backup-offsite reads the uploads bucket and can change nothing (issue 15, finding 2)", function () {
    this.timeout(120_000);
    const READER_POLICY_FILE = `${MC_DIR}/uploads-read-policy.json`;
    const READER_SECRET_FILE = `${MC_DIR}/uploads-reader-secret`;
    const readerPolicy = (resources: RegisteredResource[]) =>
        (JSON.parse(uploadText(resources, "minio-init", READER_POLICY_FILE)) as { Statement: Statement[] }).Statement;

    it("may list the uploads bucket and read its objects: all that mc mirror does with a source", async () => {
        const { resources } = await runStack("prod", deployStack);
        const policy = readerPolicy(resources);
        for (const [action, object] of READ_CALLS)
            expect(allowed(policy, action, BUCKETS.uploads, object), action).to.equal(true);
    });

    it("may not write, delete or change anything in uploads, or in any other bucket, whatever is later allowed beside it", async () => {
        const { resources } = await runStack("prod", deployStack);
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
        const { resources } = await runStack("prod", deployStack);
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
        const { resources } = await runStack("prod", deployStack);
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
        const { resources } = await runStack("prod", deployStack);
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
        const { resources: withStore } = await runUnderMocks(withOffsite(loadStackSettings("prod")), deployStack);
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
