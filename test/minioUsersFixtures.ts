/**
 * Where minio-init's `mc` finds its config and the users' secret files, shared by test/minioUsers.test.ts and the
 * MinIO user tests under mocks (test/minioUsersApp.stack.test.ts, test/minioUsersUploadsReader.stack.test.ts), and
 * the model of MinIO's policy evaluation those two check each user's policy with (rung 2).
 */
import * as path from "path";

export const MC_DIR = "/run/secrets/mc";
export const APP_POLICY_FILE = `${MC_DIR}/app-uploads-policy.json`;
export const APP_SECRET_FILE = `${MC_DIR}/app-user-secret`;

export interface Statement {
    Effect: "Allow" | "Deny";
    Action: string[];
    Resource?: string[];
}

/** minio/pkg v3.1.3 wildcard/match.go:39-70: `*` any run of characters, `?` exactly one. */
export function wildcard(pattern: string, name: string): boolean {
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
export function allowed(statements: Statement[], action: string, bucket = "", object = "", denyOnly = false): boolean {
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
