/**
 * What `npm run deploy` replaces before it runs `pulumi up`, decided from the stack's checkpoint as
 * `pulumi stack export` writes it. Pure: the script reads the export and prints the decisions.
 *
 * A failed update leaves two kinds of entries that a plain retry handles wrongly (scripts/lib/engineModel.ts
 * models both, with citations; pulumi/pulumi v3.259.0, the newest tag mirrored here):
 * - a container whose create failed its health wait (or its start) after Docker gave it an ID. The engine
 *   keeps it as the live copy with `initErrors` (pkg/resource/deploy/step.go:383-393, 443-459) and, for a
 *   create-before-delete replacement, marks the old copy `delete` (step.go:467-473). On the next run the
 *   engine first asks the provider for a diff; nothing changed, so the `initErrors` alone make it an empty
 *   update (pkg/resource/deploy/step_generator.go:1944-1950 and 2178-2195; Service's replaceOnChanges
 *   ["healthcheck", "tmpfs"] does not cover "#initerror", step_generator.go:3183-3203). The bridge answers an
 *   update whose diff is empty with the old properties and never calls the Docker provider
 *   (pulumi-terraform-bridge v3.136.0 pkg/tfbridge/provider.go:1725-1731); and a changed in-place input would
 *   reach kreuzwerker's resourceDockerContainerUpdate, which has no health wait (terraform-provider-docker
 *   v4.5.0 internal/provider/resource_docker_container_funcs.go:991-1077; the wait is only in create,
 *   590-628). The new state carries the goal's InitErrors, none (step_generator.go:819), and the old copy is
 *   deleted once every registration is stepped. The broken container stays, the healthy one goes.
 * - a job (an attached container) that exited non-zero. Its create succeeded, since the provider waits for
 *   the exit and only records the code (funcs:631-673, 816), so a retry with the same inputs is a same step
 *   that hands the program the old exit code again (step.go:177-179), and the program stops there.
 * `--replace` of such a URN makes the engine replace it without asking the provider (step_generator.go:216-223,
 * 2888-2891): a fresh container must pass its health wait, or the job runs again, before any old copy is deleted.
 */
import { retryHazards, StateResource } from "./engineModel";
import { WIRE } from "../../components/sdkInternals";

/** One `--replace` the deploy passes, and why, in words for the operator. */
export interface ReplaceDecision {
    readonly urn: string;
    readonly why: string;
}

export interface RetryPlan {
    /** URNs to pass to `pulumi up --replace`, in checkpoint order. Empty when a plain retry is safe. */
    readonly replace: ReplaceDecision[];
    /** What a plain retry will do that the script leaves to the operator, one line each. */
    readonly notes: string[];
    /**
     * Operations an interrupted update left unfinished, each with what to do. The engine only warns about
     * them and goes on (pulumi/pulumi v3.259.0 pkg/resource/deploy/deployment_executor.go:90-113): a container
     * whose create was cut off may run untracked, holding its name and its network alias, so the deploy
     * stops until they are cleared.
     */
    readonly blockers: string[];
}

/**
 * The unfinished operations of an export (deployment.pending_operations, sdk/go/common/apitype/core.go:163-164,
 * 374-379).
 */
function pendingOperations(exported: unknown): Array<{ urn: string; type: string; operation: string; name?: string }> {
    const deployment = isObject(exported) && isObject(exported["deployment"]) ? exported["deployment"] : {};
    const pending = deployment["pending_operations"] ?? [];
    if (!Array.isArray(pending)) throw new Error("the stack export's deployment.pending_operations is not a list");
    return pending.map((op: unknown, i) => {
        const resource = isObject(op) && isObject(op["resource"]) ? op["resource"] : undefined;
        if (!resource || typeof resource["urn"] !== "string" || typeof resource["type"] !== "string") {
            throw new Error(`the stack export's pending operation ${i} has no resource urn or type`);
        }
        const inputs = isObject(resource["inputs"]) ? resource["inputs"] : {};
        const name = typeof inputs["name"] === "string" ? inputs["name"] : undefined;
        return {
            urn: resource["urn"],
            type: resource["type"],
            operation: String(isObject(op) ? op["type"] : "unknown"),
            ...(name ? { name } : {}),
        };
    });
}

function pendingAdvice(op: { urn: string; type: string; operation: string; name?: string }): string {
    const stack = stackOf(op.urn);
    const clear = `pulumi refresh --stack ${stack} --run-program --clear-pending-creates`;
    if (op.operation === "creating" && op.type === "docker:index/container:Container") {
        return (
            `${op.urn}: an earlier update was cut off while creating this container, which may now run untracked under its name` +
            `${op.name ? ` '${op.name}'` : ""}. On the host, as the deploy user: docker rm -f ${op.name ?? "<its name>"}; then: ${clear}`
        );
    }
    if (op.operation === "creating")
        return `${op.urn}: an earlier update was cut off while creating it; check whether it exists, delete it or import it, then: ${clear}`;
    return `${op.urn}: an earlier update was cut off while ${op.operation} it; run pulumi refresh --stack ${stack} --run-program and check it`;
}

/** The export's schema versions this reading understands (sdk/go/common/apitype/core.go:81-87). */
const KNOWN_VERSIONS = [3, 4];

/** A checkpoint resource with the one extra field the plan needs. */
interface ExportedResource extends StateResource {
    protect?: boolean;
}

/**
 * The resources of a `pulumi stack export` (UntypedDeployment: `version`, `deployment`; the deployment's
 * `resources` are ResourceV3, sdk/go/common/apitype/core.go:156-174, 381-394, 489-564). Throws when the
 * value is not such an export. Inputs and outputs are omitted when empty (core.go:501-503).
 */
export function checkpointResources(exported: unknown): ExportedResource[] {
    if (!isObject(exported) || typeof exported["version"] !== "number" || !isObject(exported["deployment"])) {
        throw new Error("the stack export is not a Pulumi deployment (no version and deployment)");
    }
    if (!KNOWN_VERSIONS.includes(exported["version"])) {
        throw new Error(
            `the stack export has schema version ${exported["version"]}; this script reads versions ${KNOWN_VERSIONS.join(" and ")}`,
        );
    }
    const resources = exported["deployment"]["resources"] ?? [];
    if (!Array.isArray(resources)) throw new Error("the stack export's deployment.resources is not a list");
    return resources.map((r: unknown, i) => {
        if (!isObject(r) || typeof r["urn"] !== "string" || typeof r["type"] !== "string") {
            throw new Error(`the stack export's resource ${i} has no urn or type`);
        }
        const initErrors = Array.isArray(r["initErrors"]) ? r["initErrors"].map(String) : [];
        return {
            urn: r["urn"],
            type: r["type"],
            ...(typeof r["id"] === "string" ? { id: r["id"] } : {}),
            inputs: revealTopLevel(r["inputs"]),
            outputs: revealTopLevel(r["outputs"]),
            ...(r["delete"] === true ? { delete: true } : {}),
            ...(r["pendingReplacement"] === true ? { pendingReplacement: true } : {}),
            ...(r["taint"] === true ? { taint: true } : {}),
            ...(r["protect"] === true ? { protect: true } : {}),
            ...(initErrors.length > 0 ? { initErrors } : {}),
        };
    });
}

/** The replacements and notes for the next `pulumi up` over this export. */
export function retryPlan(exported: unknown): RetryPlan {
    const state = checkpointResources(exported);
    const blockers = pendingOperations(exported).map(pendingAdvice);
    const hazards = retryHazards(state);
    const live = new Map(state.filter((r) => !r.delete).map((r) => [r.urn, r]));
    const replace: ReplaceDecision[] = [];
    const notes: string[] = [];
    for (const urn of hazards.replace) {
        const resource = live.get(urn)!;
        if (resource.protect) {
            // The engine refuses to replace a protected resource and stops the update (step_generator.go:1958-1972).
            notes.push(
                `${urn} needs a replacement (${problemOf(resource)}) but is protected; unprotect it or fix it by hand`,
            );
            continue;
        }
        replace.push({ urn, why: whyReplace(resource, hazards.pendingDeletes.includes(urn)) });
    }
    for (const urn of hazards.initErrors) {
        if (hazards.replace.includes(urn)) continue;
        const resource = live.get(urn)!;
        notes.push(
            `${urn} kept an initialization error from an earlier update (${firstInitError(resource)}); a plain 'pulumi up' clears it ` +
                `without checking it again. If it is broken, replace it yourself: pulumi up --stack ${stackOf(urn)} --replace '${urn}'`,
        );
    }
    return { replace, notes, blockers };
}

function whyReplace(resource: ExportedResource, oldCopyPending: boolean): string {
    if ((resource.initErrors ?? []).length > 0) {
        const plain = oldCopyPending
            ? "a plain 'pulumi up' would keep it without a new health wait and then delete the old copy that still serves"
            : "a plain 'pulumi up' would keep it without a new health wait";
        return `its create in an earlier update did not finish (${firstInitError(resource)}); ${plain}`;
    }
    const code = String(resource.outputs["exitCode"]);
    return `this job exited with code ${code} in an earlier update; a plain 'pulumi up' would not run it again and would stop on that code`;
}

function problemOf(resource: ExportedResource): string {
    return (resource.initErrors ?? []).length > 0
        ? firstInitError(resource)
        : `exit code ${String(resource.outputs["exitCode"])}`;
}

/**
 * The first initialization error on one short line. The bridge prefixes the provider's error with
 * "creating <urn>: " (pulumi-terraform-bridge v3.136.0 pkg/tfbridge/provider.go:1375) and joins the provider's
 * diagnostics with go-multierror (pkg/tfshim/sdk-v2/diagnostics.go:36): "1 error occurred:\n\t* <error>\n\n".
 */
function firstInitError(resource: StateResource): string {
    const raw = (resource.initErrors ?? [])[0] ?? "";
    const text = raw
        .split(`creating ${resource.urn}: `)
        .join("")
        .replace(/^\s*\d+ errors? occurred:\s*/, "")
        .split(/\n\t\* /)
        .map((part) => part.replace(/^\* /, "").replace(/\s+/g, " ").trim())
        .filter((part) => part.length > 0)
        .join("; ");
    return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

/**
 * Top-level values with the secret envelope removed where the export shows the plaintext (`pulumi stack
 * export --show-secrets`, which the Automation API's exportStack passes): the plaintext is the JSON of the
 * value (pkg/resource/stack/deployment.go:844-880), under the signature in components/sdkInternals.ts (WIRE,
 * sig.go:21-24). Encrypted values stay as they are; the plan reads only `attach` and `exitCode`, which the provider
 * never marks secret.
 */
function revealTopLevel(props: unknown): Record<string, unknown> {
    if (!isObject(props)) return {};
    return Object.fromEntries(
        Object.entries(props).map(([k, v]) => {
            if (isObject(v) && v[WIRE.sigKey] === WIRE.secretSig && typeof v["plaintext"] === "string")
                return [k, JSON.parse(v["plaintext"]) as unknown];
            return [k, v];
        }),
    );
}

/**
 * The stack a URN belongs to: urn:pulumi:<stack>::<project>::<type>::<name> (sdk/go/common/resource/urn/urn.go:80-93).
 */
function stackOf(urn: string): string {
    return urn.replace(/^urn:pulumi:/, "").split("::")[0]!;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
