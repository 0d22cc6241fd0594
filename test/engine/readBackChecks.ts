/**
 * Rung 5, the checks of what the real engine reports back: each container and network, read the way the provider
 * reads it, equals the read-back model of rung 2 (scripts/lib/readBack/docker.ts); every log line carries the labels
 * promtail reads; and the health checks are the program's. Run on every shipped stack by
 * test/engine/shippedStacks.real.test.ts.
 */
import { expect } from "chai";
import * as fs from "fs";
import { DAEMON_CHOSEN } from "../../scripts/lib/readBack/docker";
import { durationNs, inspect } from "./applyLikeProvider";
import { engine } from "./engineApi";
import { StackUnderTest } from "./engineFixtures";
import { providerRead } from "./providerRead";

/**
 * A daemon-chosen value in the model's prediction matches any non-empty one the daemon reports; sets match in any
 * order.
 */
function matchesPrediction(predicted: unknown, real: unknown): boolean {
    if (predicted === DAEMON_CHOSEN) return typeof real === "string" && real !== "";
    if (Array.isArray(predicted) && Array.isArray(real)) {
        if (predicted.length !== real.length) return false;
        const left = [...real];
        // Exact members first, so a daemon-chosen one cannot take the entry a configured one needs.
        const ordered = [...predicted].sort(
            (a, b) =>
                Number(JSON.stringify(a).includes(DAEMON_CHOSEN)) - Number(JSON.stringify(b).includes(DAEMON_CHOSEN)),
        );
        return ordered.every((p) => {
            const i = left.findIndex((r) => matchesPrediction(p, r));
            return i >= 0 && left.splice(i, 1).length === 1;
        });
    }
    if (typeof predicted === "object" && predicted !== null && typeof real === "object" && real !== null) {
        const keys = new Set([...Object.keys(predicted), ...Object.keys(real)]);
        return [...keys].every((k) =>
            matchesPrediction((predicted as Record<string, unknown>)[k], (real as Record<string, unknown>)[k]),
        );
    }
    return JSON.stringify(predicted) === JSON.stringify(real);
}

/** Registers, inside a stack's describe, the checks of what the daemon reports against what the program meant. */
export function readBackChecks(on: StackUnderTest): void {
    it("what the daemon reports, read the way the provider reads it, equals the read-back model of what was sent", function () {
        const { applied, models } = on;
        // Ties rung 2 to this daemon: the model (scripts/lib/readBack/docker.ts) predicts the state a real `up`
        // stores; here the real inspect, converted as the provider's Read converts it, must agree key for key.
        // The model runs with the facts of this daemon (its version and daemon.json) and the stack's IPv6
        // networks.
        const model = models["docker:index/container:Container"]!;
        const wrong: string[] = [];
        let compared = 0;
        for (const c of applied.containers) {
            const read = providerRead(c.info, c.sent);
            const predicted = model.readBack(c.sent as unknown as Record<string, unknown>);
            for (const key of [
                "image",
                "command",
                "entrypoints",
                "user",
                "securityOpts",
                "restart",
                "memory",
                "memorySwap",
                "cpus",
                "logDriver",
                "logOpts",
                "capabilities",
                "healthcheck",
                "ports",
                "tmpfs",
            ]) {
                if (!(key in read) || !(key in predicted)) continue;
                compared++;
                // Key order is not state: compare with object keys sorted.
                const norm = (v: unknown) =>
                    JSON.stringify(v ?? null, (_k, x: unknown) =>
                        x && typeof x === "object" && !Array.isArray(x)
                            ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
                            : x,
                    );
                if (norm(read[key]) !== norm(predicted[key]))
                    wrong.push(`${c.resource.name}.${key}: daemon ${norm(read[key])}, model ${norm(predicted[key])}`);
            }
        }
        expect(wrong).to.deep.equal([]);
        expect(compared).to.be.greaterThan(100);
    });

    it("each network, read the way the provider reads it, equals the read-back model: IPv6 and the subnets as the program set them", async function () {
        const { target, applied, models } = on;
        // kreuzwerker v4.5.0 resource_docker_network_funcs.go:175-198 reads these from the network's inspect;
        // ipam_config through flattenIpamConfigSpec (resource_docker_network_structures.go:11-39), which leaves
        // out the fields the daemon reports empty. A pool the daemon chose itself is predicted as
        // DAEMON_CHOSEN.
        const model = models["docker:index/network:Network"]!;
        const wrong: string[] = [];
        for (const [name, inputs] of applied.networkInputs) {
            type IpamEntry = {
                Subnet?: string;
                IPRange?: string;
                Gateway?: string;
                AuxiliaryAddresses?: Record<string, string> | null;
            };
            type NetworkInspect = {
                Driver: string;
                Internal: boolean;
                EnableIPv6: boolean;
                IPAM: { Driver: string; Config: IpamEntry[] | null };
            };
            const n = await engine<NetworkInspect>("GET", `/networks/${name}`);
            const read: Record<string, unknown> = {
                driver: n.Driver,
                internal: n.Internal,
                ipv6: n.EnableIPv6,
                ipamDriver: n.IPAM.Driver,
                ipamConfigs: (n.IPAM.Config ?? []).map((c) => ({
                    ...(c.Subnet ? { subnet: c.Subnet } : {}),
                    ...(c.IPRange ? { ipRange: c.IPRange } : {}),
                    ...(c.Gateway ? { gateway: c.Gateway } : {}),
                    ...(c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length > 0
                        ? { auxAddress: c.AuxiliaryAddresses }
                        : {}),
                })),
            };
            const predicted = model.readBack(inputs as unknown as Record<string, unknown>);
            for (const key of Object.keys(read)) {
                if (matchesPrediction(predicted[key], read[key])) continue;
                wrong.push(
                    `${name}.${key}: daemon ${JSON.stringify(read[key])}, model ${JSON.stringify(predicted[key])}`,
                );
            }
        }
        expect(wrong).to.deep.equal([]);
        if (target !== "local") expect(applied.ipv6Networks, "IPv6 networks of a server stack").to.have.length(1);
    });

    // Issue 15, finding 6: promtail reads the containers' json-file logs instead of the Docker socket, and
    // takes the service label and name from each line's attrs, which the log options ask the daemon to write.
    it("every line a container logs carries its stack and service labels and its name, which promtail reads without the socket", async function () {
        const { applied } = on;
        const wrong: string[] = [];
        let lines = 0;
        for (const c of applied.containers) {
            const fresh = await inspect(c.id);
            if (!fresh.LogPath || !fs.existsSync(fresh.LogPath)) continue;
            for (const text of fs
                .readFileSync(fresh.LogPath, "utf8")
                .split("\n")
                .filter((l) => l.trim() !== "")) {
                lines++;
                const attrs = (JSON.parse(text) as { attrs?: Record<string, string> }).attrs ?? {};
                const want = {
                    "com.freshtrack.stack": fresh.Config.Labels?.["com.freshtrack.stack"],
                    "com.freshtrack.service": c.resource.name,
                    tag: fresh.Name.replace(/^\//, ""),
                };
                const seen = {
                    "com.freshtrack.stack": attrs["com.freshtrack.stack"],
                    "com.freshtrack.service": attrs["com.freshtrack.service"],
                    tag: attrs.tag,
                };
                if (JSON.stringify(seen) !== JSON.stringify(want))
                    wrong.push(`${c.resource.name}: ${JSON.stringify(seen)}`);
            }
        }
        expect(lines, "some container logged a line to check").to.be.greaterThan(0);
        expect([...new Set(wrong)]).to.deep.equal([]);
    });

    it("health checks reach the daemon as the program wrote them", function () {
        const { applied } = on;
        const wrong: string[] = [];
        for (const c of applied.containers) {
            const h = c.program.healthcheck;
            const got = c.info.Config.Healthcheck;
            if (!h) continue;
            const want = {
                Test: h.tests,
                Interval: durationNs(h.interval!),
                Timeout: durationNs(h.timeout!),
                StartPeriod: durationNs(h.startPeriod!),
                Retries: h.retries,
            };
            const seen = {
                Test: got?.Test,
                Interval: got?.Interval,
                Timeout: got?.Timeout,
                StartPeriod: got?.StartPeriod,
                Retries: got?.Retries,
            };
            if (JSON.stringify(seen) !== JSON.stringify(want))
                wrong.push(`${c.resource.name}: ${JSON.stringify(seen)} != ${JSON.stringify(want)}`);
        }
        expect(wrong).to.deep.equal([]);
    });
}
