/**
 * The service catalog (issue 16, item 4): one spec per container. Rung 1 (the specs themselves; what the stacks
 * register is compared with them in test/catalog.stack.test.ts): the specs agree with what is derived from them and
 * with each other, and the policy pack's capability allowlist, kept by hand as an independent control, is compared
 * with them (in every environment: test/policyConfig.test.ts). A `limits.sameAs` that names no service with limits of
 * its own does not compile (components/catalog/index.ts).
 */
import { expect } from "chai";
import { ENDPOINTS, SERVICE_SPECS, SERVICES } from "../components/catalog";
import { DEFAULT_LIMITS } from "../components/config";
import { imagesWithoutContract } from "../components/imageContracts";
import { PUBLIC_IMAGES } from "../components/images";
import { containerCapabilities } from "../policy/rules/containerSecurity";

describe("service catalog: one spec per container, checked against what the program registers", () => {
    it("names each service once, its key in freshtrack:resources the same as its name", () => {
        for (const [key, spec] of Object.entries(SERVICES)) expect(spec.name, key).to.equal(key);
        expect(new Set(SERVICE_SPECS.map((s) => s.name)).size).to.equal(SERVICE_SPECS.length);
    });

    it("derives the default limits (every spec with limits of its own) and the endpoints (every spec with a port)", () => {
        const own = SERVICE_SPECS.filter((s) => !("sameAs" in s.limits)).map((s) => s.name);
        expect(Object.keys(DEFAULT_LIMITS)).to.deep.equal(own);
        for (const s of SERVICE_SPECS) {
            if ("sameAs" in s.limits) expect(Object.keys(DEFAULT_LIMITS), s.name).to.include(s.limits.sameAs);
            const endpoint = (ENDPOINTS as Record<string, { address: string } | undefined>)[s.name];
            expect(endpoint?.address, s.name).to.equal(s.port === undefined ? undefined : `${s.name}:${s.port}`);
        }
    });

    it("gives each network a spec joins only on some stacks its condition and its reason, never one it always joins", () => {
        const extras = SERVICE_SPECS.flatMap((s) =>
            Object.entries(s.extraNetworks ?? {}).map(([network, extra]) => ({ service: s.name, network, ...extra })),
        );
        expect(extras, "the specs' extra networks").to.not.be.empty;
        for (const e of extras) {
            const spec = SERVICE_SPECS.find((s) => s.name === e.service)!;
            expect(spec.networks as readonly string[], `${e.service}: ${e.network}`).to.not.include(e.network);
            expect(e.why, `${e.service}: ${e.network}`).to.match(/^\S.{5,}/);
        }
    });

    it("gives every pinned image a spec that runs it, and every spec's image a contract", () => {
        const used = new Set(SERVICE_SPECS.flatMap((s) => ("public" in s.image ? [s.image.public] : [])));
        expect([...used].sort()).to.deep.equal(Object.keys(PUBLIC_IMAGES).sort());
        expect(imagesWithoutContract()).to.deep.equal([]);
    });

    it("the policy pack's capability allowlist, kept by hand, grants each service exactly what its spec adds", () => {
        const allowlist = (
            containerCapabilities.configSchema?.properties?.perService as { default: Record<string, string[]> }
        ).default;
        const wanted = Object.fromEntries(
            SERVICE_SPECS.filter((s) => s.capabilities.length > 0).map((s) => [s.name, [...s.capabilities].sort()]),
        );
        const granted = Object.fromEntries(Object.entries(allowlist).map(([k, v]) => [k, [...v].sort()]));
        expect(granted).to.deep.equal(wanted);
    });
});
