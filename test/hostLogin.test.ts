/**
 * `npm run ssh` gets the operator onto the host even after a failed first deploy (issue 17, the walkthrough's "If
 * something fails"): where it logs in, as a pure function of the stack's outputs and its exported state
 * (scripts/lib/hostLogin.ts). Rung 1 (unit) on hand-built exports whose URNs are those the program registers under
 * mocks (test/fixtures/urns.json, kept by test/urnStability.stack.test.ts); test/sshLogin.ssh.test.ts logs in with
 * the same exports through a real sshd (rung 4).
 */
import { expect } from "chai";
import { LOGIN_RESOURCES, LoginConfig, loginFromOutputs, loginFromState } from "../scripts/lib/hostLogin";
import {
    DROPLET_VARIANTS,
    dropletResources,
    ed25519KeyLine,
    encryptedSecret,
    exportOf,
    recordedUrn,
    sshResources,
    SSH_VARIANT,
} from "./sshLoginFixtures";

const DEPLOY_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nthe deploy key\n-----END OPENSSH PRIVATE KEY-----\n";
const HOST_KEY = ed25519KeyLine();
const DROPLET: LoginConfig = { target: "droplet" };
const VM: LoginConfig = { target: "ssh", ssh: { host: "vm.example.net", port: 2222, hostKey: HOST_KEY } };
const STATE = { deployKey: DEPLOY_KEY, hostKey: HOST_KEY, reservedIp: "203.0.113.10", dropletIp: "198.51.100.7" };
const OUTPUTS = { publicAddress: "203.0.113.10", deployPrivateKey: DEPLOY_KEY, hostKey: HOST_KEY, domain: "x" };

describe("npm run ssh: where it logs in, from the outputs or else the state (rung 1)", () => {
    it("looks up only resources the program registers: each name and type in every droplet stack and the VM variant", () => {
        for (const variant of DROPLET_VARIANTS)
            for (const ref of Object.values(LOGIN_RESOURCES.droplet))
                expect(recordedUrn(variant, ref), `${variant}: ${ref.name}`).to.match(/^urn:pulumi:/);
        expect(recordedUrn(SSH_VARIANT, LOGIN_RESOURCES.ssh.deployKey)).to.match(/DeployKey\$tls:/);
        // The checker itself: a name the program does not register is refused.
        expect(() =>
            recordedUrn("prod", { ...LOGIN_RESOURCES.droplet.deployKey, name: "droplet-deploy-key" }),
        ).to.throw(/registers 0/);
    });

    it("takes the address, deploy key and pinned host key from the outputs when they hold all three (port 22)", () => {
        expect(loginFromOutputs(DROPLET, OUTPUTS)).to.deep.equal({
            target: { address: "203.0.113.10", port: 22, privateKey: DEPLOY_KEY, hostKey: HOST_KEY },
            from: "outputs",
        });
        // An ssh target's port is in its config only.
        expect(loginFromOutputs(VM, { ...OUTPUTS, publicAddress: "vm.example.net" })).to.deep.include({
            target: { address: "vm.example.net", port: 2222, privateKey: DEPLOY_KEY, hostKey: HOST_KEY },
        });
    });

    it("leaves it to the state when the outputs miss any of the three: none after a failed first deploy, no hostKey from an older program", () => {
        expect(loginFromOutputs(DROPLET, {})).to.equal(undefined);
        for (const key of ["publicAddress", "deployPrivateKey", "hostKey"] as const)
            expect(loginFromOutputs(DROPLET, { ...OUTPUTS, [key]: "" }), key).to.equal(undefined);
    });

    it("a droplet from the state: the live deploy key (not one kept for deletion, not another key), the host key, the reserved IP", () => {
        expect(loginFromState("prod", DROPLET, exportOf("prod", dropletResources("prod", STATE)))).to.deep.equal({
            target: { address: "203.0.113.10", port: 22, privateKey: DEPLOY_KEY, hostKey: HOST_KEY },
            from: "state",
        });
    });

    it("a droplet whose reserved IP is not assigned yet: its own address, as the program's first connection uses, with a note", () => {
        const login = loginFromState(
            "staging",
            DROPLET,
            exportOf("staging", dropletResources("staging", { ...STATE, assigned: false })),
        );
        expect(login).to.have.nested.property("target.address", "198.51.100.7");
        expect(login)
            .to.have.property("note")
            .that.matches(
                /^the reserved IP is not assigned to the droplet in the state, so this is the droplet's own address$/,
            );
    });

    it("a droplet whose reserved IP is assigned but unreadable in the state: its own address, with a note saying why", () => {
        const resources = dropletResources("staging", STATE);
        const ip = resources.find((r) => r.urn.endsWith("::droplet-ip"));
        ip!.outputs["ipAddress"] = encryptedSecret();
        const login = loginFromState("staging", DROPLET, exportOf("staging", resources));
        expect(login).to.have.nested.property("target.address", "198.51.100.7");
        expect(login)
            .to.have.property("note")
            .that.matches(/^the reserved IP is unreadable: droplet-ip's ipAddress is encrypted in the export/);
    });

    it("an ssh target from the state: the deploy key; address, port and host key from freshtrack:ssh", () => {
        expect(loginFromState("vm", VM, exportOf("ssh", sshResources(DEPLOY_KEY)))).to.deep.equal({
            target: { address: "vm.example.net", port: 2222, privateKey: DEPLOY_KEY, hostKey: HOST_KEY },
            from: "state",
        });
        // The droplet's deploy key is not the VM's.
        expect(loginFromState("vm", VM, exportOf("prod", dropletResources("prod", STATE)))).to.have.property("problem");
    });

    it("says what is missing and what to do: a stack never deployed, a key exported without its plaintext", () => {
        expect(loginFromState("prod", DROPLET, exportOf("prod", []))).to.deep.equal({
            problem:
                "stack 'prod' has no outputs to log in with, and its state holds no deploy key (tls:index/privateKey:PrivateKey " +
                "droplet-deploy-key-ed25519, privateKeyOpenssh); deploy it first (npm run deploy -- prod)",
        });
        const resources = dropletResources("prod", STATE);
        const live = resources.find((r) => r.urn.endsWith("::droplet-deploy-key-ed25519") && r.delete !== true);
        live!.outputs["privateKeyOpenssh"] = encryptedSecret();
        expect(loginFromState("prod", DROPLET, exportOf("prod", resources)))
            .to.have.property("problem")
            .that.contains("droplet-deploy-key-ed25519's privateKeyOpenssh is encrypted in the export");
    });

    it("refuses a host key it cannot pin, from the outputs or from the state, naming where it came from", () => {
        const rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ";
        expect(loginFromOutputs(DROPLET, { ...OUTPUTS, hostKey: rsa }))
            .to.have.property("problem")
            .that.matches(/^the host key in the stack's hostKey output is not usable/);
        expect(loginFromState("prod", DROPLET, exportOf("prod", dropletResources("prod", { ...STATE, hostKey: rsa }))))
            .to.have.property("problem")
            .that.matches(/^the host key in the state's droplet-host-key-ed25519 is not usable/);
    });
});
