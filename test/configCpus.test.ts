/**
 * A container's cpus above its host's CPUs (issue 17, operator pass): the Docker daemon refuses to create a container
 * whose NanoCPUs exceed the CPUs it counts ("range of CPUs is from 0.01 to N.00, as there are only N CPUs available",
 * moby v27.5.1 daemon/daemon_unix.go:494-498), so `freshtrack:resources: {postgres: {cpus: 4}}` on an s-2vcpu-4gb
 * droplet stopped `pulumi up` mid-deploy. On the droplet target the size's vCPUs are known, and the config refuses
 * the value before any resource (components/config/parse.ts). Rung 1: the program's config reader under the SDK's
 * mocks, and the pure parse of every shipped stack file. The ssh VM's CPUs are the pre-flight's to compare
 * (test/preflightCpus.servers.test.ts).
 */
import { expect } from "chai";
import { ConfigError, parseStackConfig } from "../components/config";
import { DROPLET_SIZES } from "../components/host/dropletSizes";
import { loadStackSettings, rawConfigOf, shippedStacks } from "../scripts/lib/stackFiles";
import { keysOf, problemsFor } from "./configFixtures";
import { configFor, settingsWith } from "./helpers";
import { SSH_SECRET_KEYS, SSH_STACK } from "./preflightFixtures";

const DROPLET = {
    "freshtrack:target": "droplet",
    "freshtrack:tlsMode": "acme",
    "freshtrack:adminCidrs": ["198.51.100.0/24"],
    "freshtrack:droplet": { region: "fra1", size: "s-2vcpu-4gb" },
};

describe("config: no container's cpus above the droplet's vCPUs (Docker refuses it at create; rung 1)", () => {
    it("refuses postgres cpus 4 on s-2vcpu-4gb, naming the key, the value, the size, its vCPUs and a size that fits", async () => {
        const err = await problemsFor({ ...DROPLET, "freshtrack:resources": { postgres: { cpus: 4 } } });
        expect(err.problems).to.deep.equal([
            {
                key: "freshtrack:resources.postgres.cpus",
                value: 4,
                expected:
                    "at most 2, the vCPUs of droplet size s-2vcpu-4gb (freshtrack:droplet.size): Docker refuses to " +
                    "create a container limited to more CPUs than its host has; lower it, or choose a size with 4 " +
                    "vCPUs or more, such as s-4vcpu-8gb",
            },
        ]);
        expect(err.message).to.contain("  - freshtrack:resources.postgres.cpus = 4: expected at most 2, the vCPUs of");
        expect(err.message).to.contain("(found before any resource was touched)");
    });

    it("reports every service over at once, and takes the size's own vCPUs (1 on s-1vcpu-2gb)", async () => {
        const err = await problemsFor({
            ...DROPLET,
            "freshtrack:droplet": { region: "fra1", size: "s-1vcpu-2gb" },
            "freshtrack:resources": { postgres: { cpus: 1.5 }, backend: { cpus: 2 }, worker: { cpus: 1 } },
        });
        expect(keysOf(err)).to.deep.equal(["freshtrack:resources.postgres.cpus", "freshtrack:resources.backend.cpus"]);
        expect(err.problems[0]!.expected).to.match(/^at most 1, the vCPUs of droplet size s-1vcpu-2gb /);
        expect(err.problems[0]!.expected).to.match(/choose a size with 2 vCPUs or more, such as s-2vcpu-2gb$/);
    });

    it("accepts cpus equal to the vCPUs, as the daemon does (it refuses only NanoCPUs above the count)", async () => {
        const cfg = await configFor(settingsWith({ ...DROPLET, "freshtrack:resources": { postgres: { cpus: 2 } } }));
        expect(cfg.resources.postgres.cpus).to.equal(2);
    });

    it("says so when no size this program deploys to has enough vCPUs", async () => {
        const err = await problemsFor({
            ...DROPLET,
            "freshtrack:droplet": { region: "fra1", size: "s-8vcpu-16gb" },
            "freshtrack:resources": { postgres: { cpus: 16 } },
        });
        expect(err.problems.map((p) => p.expected)).to.deep.equal([
            "at most 8, the vCPUs of droplet size s-8vcpu-16gb (freshtrack:droplet.size): Docker refuses to create a " +
                "container limited to more CPUs than its host has; lower it, no size this program deploys to has 16 vCPUs",
        ]);
    });

    it("does not compare with a size that was itself refused (it reads as the default, which the user did not set)", async () => {
        const err = await problemsFor({
            ...DROPLET,
            "freshtrack:droplet": { region: "fra1", size: "s-16vcpu-32gb" },
            "freshtrack:resources": { postgres: { cpus: 4 } },
        });
        expect(keysOf(err)).to.deep.equal(["freshtrack:droplet.size"]);
    });

    it("leaves the ssh and local targets to the host: their CPUs are not known before the update", async () => {
        const resources = { "freshtrack:resources": { postgres: { cpus: 4 } } };
        const local = await configFor(settingsWith(resources));
        expect(local.resources.postgres.cpus).to.equal(4);
        const ssh = await configFor(settingsWith({ ...SSH_STACK, ...resources }, SSH_SECRET_KEYS));
        expect(ssh.resources.postgres.cpus).to.equal(4);
    });
});

describe("config: every shipped stack keeps its cpus within its droplet's vCPUs (rung 1, the shipped files)", () => {
    for (const stack of shippedStacks()) {
        it(`${stack}: parses, and no container's cpus exceeds the host's vCPUs`, () => {
            const cfg = parseStackConfig(rawConfigOf(loadStackSettings(stack)));
            if (!cfg.droplet) return;
            const vcpus = DROPLET_SIZES[cfg.droplet.size].vcpus;
            const over = Object.entries(cfg.resources).filter(([, limits]) => limits.cpus > vcpus);
            expect(over, `${stack} on ${cfg.droplet.size}`).to.deep.equal([]);
        });
    }

    it("would refuse shipped prod's postgres cpus 1.5 on a 1-vCPU droplet (the rule reaches the shipped files)", () => {
        const settings = loadStackSettings("prod");
        const droplet = JSON.parse(settings.config["freshtrack:droplet"]!) as Record<string, unknown>;
        settings.config["freshtrack:droplet"] = JSON.stringify({ ...droplet, size: "s-1vcpu-2gb" });
        expect(() => parseStackConfig(rawConfigOf(settings)))
            .to.throw(ConfigError)
            .with.property("problems")
            .that.deep.includes({
                key: "freshtrack:resources.postgres.cpus",
                value: 1.5,
                expected:
                    "at most 1, the vCPUs of droplet size s-1vcpu-2gb (freshtrack:droplet.size): Docker refuses to " +
                    "create a container limited to more CPUs than its host has; lower it, or choose a size with 2 " +
                    "vCPUs or more, such as s-2vcpu-2gb",
            });
    });
});
