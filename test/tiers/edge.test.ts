/**
 * The edge alone (issue 16, item 3: narrow tiers exchange values): Caddy built from its part of the platform and the
 * settings it reads, with no application, data or monitoring tier. Rung 1 (mocks).
 */
import { expect } from "chai";
import { DEFAULT_LIMITS, TlsMode } from "../../components/config";
import { EDGE_PLATFORM, Edge } from "../../components/edge/caddy";
import { RegisteredResource } from "../../scripts/lib/mockRun";
import { containerNamed, containers, run, uploadText } from "../helpers";
import { testPlatform } from "./platform";

const DOMAIN = "cold.example.net";

async function edgeAlone(
    tlsMode: TlsMode,
    ports: { publicPorts: boolean; edgeIpv6: boolean } = { publicPorts: true, edgeIpv6: false },
): Promise<RegisteredResource[]> {
    const { resources } = await run(() => {
        const { provider, platform } = testPlatform(EDGE_PLATFORM);
        return new Edge(
            "edge",
            {
                ...platform,
                domain: DOMAIN,
                adminEmail: "ops@example.net",
                tlsMode,
                stack: "tier",
                limits: DEFAULT_LIMITS,
                ...ports,
                publicStatusPages: ["public"],
            },
            { providers: [provider] },
        );
    });
    return resources;
}

describe("edge alone: its part of the platform and its settings in, Caddy out", () => {
    it("runs Caddy only, on the edge, admin and status networks it was given, with few resources", async () => {
        const resources = await edgeAlone("acme");
        expect(containers(resources).map((c) => c.name)).to.deep.equal(["caddy"]);
        const ours = resources.filter(
            (r) => !/::(tier-docker|net-|vol-)/.test(r.urn) && r.type !== "pulumi:providers:docker",
        );
        expect(ours.length, "the tier's own resources").to.be.within(4, 15);
        const caddy = containerNamed(resources, "caddy");
        expect(caddy.options.provider, "the provider given to the tier").to.match(/::tier-docker::/);
        const networks = (caddy.inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name);
        expect(networks).to.have.members(["freshtrack-tier-edge", "freshtrack-tier-admin", "freshtrack-tier-status"]);
        const volumes = (caddy.inputs.volumes as Array<{ volumeName: string }>).map((v) => v.volumeName);
        expect(volumes).to.deep.equal(["freshtrack-tier-caddy-data"]);
    });

    it("takes certificates from the ACME account of the admin email, with no CA of its own, under tlsMode acme", async () => {
        const resources = await edgeAlone("acme");
        expect(
            resources.filter((r) => r.type.startsWith("tls:")),
            "no internal CA",
        ).to.be.empty;
        const caddyfile = uploadText(resources, "caddy", "/etc/caddy/Caddyfile");
        expect(caddyfile).to.include('email "ops@example.net"');
        expect(caddyfile).not.to.match(/^\s*tls \//m);
        expect(caddyfile).to.include(`grafana.${DOMAIN} {`);
    });

    it("serves the stack's own CA's certificate under tlsMode internal, its organization naming the stack", async () => {
        const resources = await edgeAlone("internal");
        const ca = resources.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert");
        expect(ca, "a self-signed CA").to.exist;
        expect(JSON.stringify(ca!.inputs.subject)).to.include("FreshTrack tier");
        const caddyfile = uploadText(resources, "caddy", "/etc/caddy/Caddyfile");
        expect(caddyfile).to.include("tls /etc/caddy/certs/server.crt /etc/caddy/certs/server.key");
        expect(() => uploadText(resources, "caddy", "/etc/caddy/certs/server.key")).not.to.throw();
    });

    it("publishes 80 and 443 on loopback only when told the ports are not public, and on :: when the edge has IPv6", async () => {
        const hostAddresses = (resources: RegisteredResource[]) =>
            (containerNamed(resources, "caddy").inputs.ports as Array<{ ip: string }>).map((p) => p.ip);
        expect(hostAddresses(await edgeAlone("internal", { publicPorts: false, edgeIpv6: false }))).to.deep.equal([
            "127.0.0.1",
            "127.0.0.1",
        ]);
        expect(hostAddresses(await edgeAlone("acme", { publicPorts: true, edgeIpv6: true }))).to.deep.equal([
            "0.0.0.0",
            "::",
            "0.0.0.0",
            "::",
        ]);
    });
});
