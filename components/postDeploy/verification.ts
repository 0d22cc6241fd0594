import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { TlsMode, VerificationSettings } from "../config";
import type { Edge } from "../edge/caddy";
import { ADMIN_USER } from "../edge/caddy";
import type { Service } from "../service";
import { buildPlan } from "../verify/plan";

/** Environment variable that hands the plan to scripts/verify.ts. */
export const PLAN_ENV = "FRESHTRACK_VERIFY_PLAN";

export interface VerificationArgs {
    /** The gate's settings (freshtrack:verification). */
    readonly settings: VerificationSettings;
    /** The dashboard's public name (freshtrack:domain): the TLS server name whose certificate the gate checks. */
    readonly domain: string;
    /** In the internal mode the gate checks the certificate against the stack's CA, at the host's address. */
    readonly tlsMode: TlsMode;
    /** What Caddy serves: the URLs, the admin password of the basic-auth routes, the internal CA if there is one. */
    readonly edge: Pick<Edge, "urls" | "adminPassword"> & {
        /** The stack's CA certificate (PEM) in internal TLS mode (the Edge's `internalCa`), which the gate trusts. */
        readonly caCertPem?: pulumi.Output<string>;
    };
    /** Every container; the gate runs once all of them are healthy (or, for jobs, done). */
    readonly services: readonly Service[];
    /** The host's address, used directly in internal TLS mode where the names may not be in public DNS. */
    readonly publicAddress: pulumi.Output<string>;
}

/**
 * The verification gate as the last step of `pulumi up`: scripts/verify.ts runs
 * on the operator's machine against the public URLs, and a failing check fails
 * the update with its report. It runs again whenever a container changed.
 * Replaced containers are deleted only after it passes: Pulumi deletes replaced
 * resources at the end of an update, so a failed gate leaves the old ones in place.
 */
export class Verification extends pulumi.ComponentResource {
    readonly report?: pulumi.Output<string>;

    constructor(name: string, args: VerificationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:postDeploy:Verification", name, {}, opts);
        const { edge } = args;
        if (!args.settings.enabled) {
            this.registerOutputs({});
            return;
        }
        const v = args.settings;
        const plan = pulumi
            .all([
                edge.adminPassword,
                edge.caCertPem ?? pulumi.output(""),
                v.e2e?.token ?? pulumi.output(""),
                args.publicAddress,
            ])
            .apply(([adminPassword, ca, ingestToken, address]) =>
                buildPlan(
                    v,
                    args.domain,
                    edge.urls,
                    {
                        adminUser: ADMIN_USER,
                        adminPassword,
                        ...(ca ? { ca } : {}),
                        ...(ingestToken ? { ingestToken } : {}),
                    },
                    args.tlsMode === "internal" ? address : undefined,
                ),
            );
        const run = new command.local.Command(
            `${name}-gate`,
            {
                // No `dir`: the command runs in the provider's working directory, the project's (pulumi-command v1.2.1
                // provider/pkg/provider/local/commandOutputs.go:73-77; the engine starts plugins there, pulumi v3.259.0
                // sdk/go/common/resource/plugin/plugin.go:599). A `dir` input would hold this checkout's path, and a
                // second `up` from another checkout would see a changed input and run the gate and the announcement
                // again.
                create: "node -r ts-node/register/transpile-only scripts/verify.ts --from-env",
                environment: { [PLAN_ENV]: pulumi.secret(plan.apply((p) => JSON.stringify(p))) },
                // A new container anywhere (an update, a replacement) runs the gate again.
                triggers: args.services.map((s) => s.container.id),
            },
            { parent: this, dependsOn: [...args.services] },
        );
        this.report = run.stdout;
        this.registerOutputs({ report: this.report });
    }
}
