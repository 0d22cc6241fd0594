/**
 * The stacks whose URNs test/fixtures/urns.json records (test/urnStabilityFixtures.ts --record) and checks
 * (test/urnStability.stack.test.ts).
 */
import { loadStackSettings, StackSettings } from "../scripts/lib/stackFiles";
import { settingsWith, withOffsite } from "./helpers";

/**
 * The stacks whose URNs were recorded: the three shipped ones and the variants the shipped files switch to with one
 * key.
 */
export const URN_VARIANTS: Readonly<Record<string, () => StackSettings>> = {
    dev: () => loadStackSettings("dev"),
    staging: () => loadStackSettings("staging"),
    prod: () => loadStackSettings("prod"),
    "prod with an offsite copy": () => withOffsite(loadStackSettings("prod")),
    "staging with managed PostgreSQL": () => {
        const settings = loadStackSettings("staging");
        settings.config["freshtrack:database"] = JSON.stringify({ mode: "managed" });
        return settings;
    },
    "an existing VM over SSH": () =>
        settingsWith(
            {
                "freshtrack:target": "ssh",
                "freshtrack:tlsMode": "acme",
                "freshtrack:adminCidrs": ["198.51.100.0/24"],
                "freshtrack:ssh": {
                    host: "vm.example.net",
                    user: "admin",
                    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILSEL3mlyPpCGaUNBxcpStcsu+5bt0IiOM455EXcf9/y",
                },
                "freshtrack:sshPrivateKey":
                    "-----BEGIN OPENSSH PRIVATE KEY-----\nadmin\n-----END OPENSSH PRIVATE KEY-----\n",
            },
            ["freshtrack:sshPrivateKey"],
            "ssh",
        ),
};
