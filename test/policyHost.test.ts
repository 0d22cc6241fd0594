/**
 * Rung 1: the rules on how the host is reached: the DigitalOcean firewall judged by the addresses its sources cover,
 * and the Docker provider's ssh pinned to a known host key.
 */
import { expect } from "chai";
import { PolicyInput } from "../scripts/lib/policyRun";
import { resource, findingsFor, firewall } from "./policyFixtures";
import { GOOD_FIREWALL } from "./policyCaseFixtures";

/**
 * Issue 15, finding 8 (rung 1, the policy's validateResource): the firewall rules judged the
 * whole internet by its spelling (0.0.0.0/0, ::/0). They judge it by what the sources cover.
 */
describe("firewall rules judge the whole internet by the addresses the sources cover (issue 15, finding 8)", () => {
    const ssh = (sources: string[], portRange = "22") =>
        firewall([...GOOD_FIREWALL.slice(0, 2), { protocol: "tcp", portRange, sourceAddresses: sources }]);

    for (const sources of [
        ["1.2.3.4/0"],
        ["0::/0"],
        ["::ffff:0.0.0.0/96"],
        ["::/80"],
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["::/1", "8000::/1"],
    ]) {
        it(`do-firewall-no-world-ssh fails SSH from ${sources.join(" + ")}, naming what it covers`, async () => {
            const [finding, ...rest] = await findingsFor("do-firewall-no-world-ssh", [ssh(sources)]);
            expect(rest).to.deep.equal([]);
            expect(finding!.kind).to.equal("violation");
            const covers = `${sources.join(", ").replace(/[./]/g, "\\$&")} ${sources.length === 1 ? "covers it" : "cover it together"}`;
            expect(finding!.message).to.match(
                new RegExp(`allows SSH from every IPv[46]( and every IPv6)? address \\(${covers}\\)\\.$`),
            );
        });
    }

    it("do-firewall-no-world-ssh adds up the rules that reach port 22, whatever their port ranges", async () => {
        const split = firewall([
            ...GOOD_FIREWALL,
            { protocol: "tcp", portRange: "20-30", sourceAddresses: ["0.0.0.0/1"] },
            { protocol: "tcp", portRange: "22", sourceAddresses: ["128.0.0.0/1"] },
        ]);
        const findings = await findingsFor("do-firewall-no-world-ssh", [split]);
        expect(findings.map((f) => f.message)).to.deep.equal([
            `${split.name}: allows SSH from every IPv4 address (203.0.113.0/28, 0.0.0.0/1, 128.0.0.0/1 cover it together).`,
        ]);
        expect(await findingsFor("do-firewall-no-world-ssh", [ssh(["0.0.0.0/1", "8000::/1"])])).to.deep.equal([]);
    });

    it("do-firewall-public-ports fails a port opened to the world in halves, across rules", async () => {
        const halves = firewall([
            ...GOOD_FIREWALL,
            { protocol: "tcp", portRange: "5432", sourceAddresses: ["0.0.0.0/1"] },
            { protocol: "tcp", portRange: "5432", sourceAddresses: ["128.0.0.0/1"] },
        ]);
        expect((await findingsFor("do-firewall-public-ports", [halves])).map((f) => f.message)).to.deep.equal([
            `${halves.name}: opens tcp 5432 to the whole internet.`,
        ]);
    });
});

/**
 * Issue 15, finding 3: a Docker provider that reaches its daemon over SSH pins the host key.
 * Rung 1: the rule on a compliant provider changed in one option, and on the providers the
 * shipped stacks and an ssh stack register under mocks.
 */
describe("docker-ssh-host-key-pinned: the Docker provider's ssh accepts only the pinned host key (issue 15, finding 3)", () => {
    const RULE = "docker-ssh-host-key-pinned";
    const PINNED = [
        "-o",
        "IdentityFile=/home/op/.freshtrack/ssh/prod/deploy_key",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "UserKnownHostsFile=/home/op/.freshtrack/ssh/prod/known_hosts",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
    ];
    const provider = (sshOpts: unknown, host = "ssh://deploy@203.0.113.10") =>
        resource("pulumi:providers:docker", { host, ...(sshOpts === undefined ? {} : { sshOpts }) });
    const messages = async (...inputs: PolicyInput[]) => (await findingsFor(RULE, inputs)).map((f) => f.message);

    it("passes pinned options, as a list or as the JSON text provider config arrives in, and ignores a provider that is not reached over SSH", async () => {
        expect(
            await messages(
                provider(PINNED),
                provider(JSON.stringify(PINNED)),
                provider(["-oStrictHostKeyChecking yes", "-oUserKnownHostsFile=/k", "-oGlobalKnownHostsFile=none"]),
            ),
        ).to.deep.equal([]);
        expect(
            await messages(resource("pulumi:providers:docker", {}), provider(undefined, "unix:///var/run/docker.sock")),
        ).to.deep.equal([]);
    });

    it("fails options that trust a host key it does not know: accept-new (the program before issue 15), no, ask, or nothing set", async () => {
        const before = PINNED.map((o) => (o === "StrictHostKeyChecking=yes" ? "StrictHostKeyChecking=accept-new" : o));
        for (const [opts, value] of [
            [before, "accept-new"],
            [PINNED.map((o) => o.replace("=yes", "=no")), "no"],
            [PINNED.map((o) => o.replace("=yes", "=ask")), "ask"],
            [undefined, "(not set: ask"],
            [["-o", "StrictHostKeyChecking=accept-new", ...PINNED], "accept-new"],
        ] as const) {
            const found = await messages(provider(opts));
            expect(found, JSON.stringify(opts)).to.have.length(1);
            expect(found[0]).to.match(/^r\d+: reaches ssh:\/\/deploy@203\.0\.113\.10 with StrictHostKeyChecking=/);
            expect(found[0], "ssh uses the first value given").to.contain(`StrictHostKeyChecking=${value}`);
        }
    });

    it("fails a provider without a known_hosts of its own, or that also trusts the machine's global file", async () => {
        const withoutFile = PINNED.filter(
            (o, i) => !o.startsWith("UserKnownHostsFile") && PINNED[i + 1]?.startsWith("UserKnownHostsFile") !== true,
        );
        const found = await messages(provider(withoutFile));
        expect(found).to.have.length(1);
        expect(found[0]).to.match(
            /^r\d+: reaches ssh:\/\/deploy@203\.0\.113\.10 without a known_hosts file of its own \(UserKnownHostsFile=\(not set: the operator's ~\/\.ssh\/known_hosts\)\), so nothing pins the host's key\.$/,
        );
        const withGlobal = PINNED.filter(
            (o, i) =>
                !o.startsWith("GlobalKnownHostsFile") && PINNED[i + 1]?.startsWith("GlobalKnownHostsFile") !== true,
        );
        expect((await messages(provider(withGlobal)))[0]).to.match(
            /trusting the machine's global known_hosts too \(GlobalKnownHostsFile=\(not set\)\)/,
        );
    });
});
