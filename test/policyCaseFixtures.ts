/**
 * Policy inputs built on test/policyFixtures.ts that several policy test files share: containers inside their Service
 * component (as a stack registers them), the Caddy container with a rendered Caddyfile, and a compliant firewall.
 */
import { CaddySite, renderCaddyfile } from "../components/edge/caddyfile";
import { PolicyInput } from "../scripts/lib/policyRun";
import { T, resource, container } from "./policyFixtures";

export const GOOD_FIREWALL = [
    { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
    { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
    { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/28"] },
];

/** Containers wrapped in Service components, as a stack has them. */
export function inService(...containers: PolicyInput[]): PolicyInput[] {
    return containers.flatMap((c) => withService({}, c));
}

/** One container in a Service component whose registered props are `serviceProps` (e.g. the reasons it records). */
export function withService(serviceProps: Record<string, unknown>, c: PolicyInput): PolicyInput[] {
    const svc = resource(T.service, serviceProps);
    return [svc, { ...c, parent: svc.urn }];
}

/** A long-running container in its Service, beside the command Service makes to limit its PIDs with `script`. */
export function withPidsLimit(script: string, c0: PolicyInput = container()): PolicyInput[] {
    const [svc, c] = inService(c0);
    return [svc!, c!, { ...resource("command:remote:Command", { create: "sh -s", stdin: script }), parent: svc!.urn }];
}

/** The caddy container with a Caddyfile among its uploads, as the Edge component registers it. */
export function caddyWith(sites: CaddySite[]): PolicyInput {
    const caddyfile = renderCaddyfile({ email: "ops@example.com", tlsMode: "acme", sites });
    return container(
        { uploads: [{ file: "/etc/caddy/Caddyfile", content: caddyfile, permissions: "0444" }], user: undefined },
        "caddy",
    );
}
export const HASH = "$2a$10$abcdefghijklmnopqrstuv";
export const APP_SITE: CaddySite = {
    address: "freshtrack.example.com",
    routes: [
        { upstreams: ["frontend:8080"] },
        { path: "/admin/queues*", upstreams: ["backend:3000"], basicAuth: { user: "admin", bcryptHash: HASH } },
    ],
};
