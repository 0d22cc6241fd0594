/**
 * Pre-flight, run for real on this machine: the disk, port and DNS checks see
 * the real filesystem, a real listener and the real resolver; the Docker check
 * sees a daemon that does not answer (DOCKER_HOST points at a socket that does
 * not exist), whether or not this machine runs one.
 */
import { expect } from "chai";
import { renderHostPreflight, renderPreflightScript } from "../components/preflight/preflight";
import { shellcheck } from "./localServers";

describe("pre-flight", function () {
    this.timeout(20000);
    it("passes shellcheck as POSIX sh", () => {
        const result = shellcheck(
            renderPreflightScript({
                stackLabel: "freshtrack-prod",
                dataPath: "/mnt/freshtrack-data",
                minFreeGb: 5,
                ports: [80, 443],
                dnsNames: ["ft.example.com"],
                publicAddress: "203.0.113.50",
            }),
        );
        expect(result.status, result.stdout).to.equal(0);
    });

    it("passes shellcheck with DNS kept at another provider, which lists the records to create (issue 17, friction 6)", () => {
        const script = renderHostPreflight(
            {
                stackLabel: "freshtrack-prod",
                dataPath: "/mnt/freshtrack-data",
                dnsNames: ["ft.example.com", "grafana.ft.example.com"],
                minFreeGb: 5,
                trigger: "1.4.2",
                dnsByHand: { domain: "ft.example.com", stack: "prod" },
            },
            "203.0.113.50",
            "2001:db8::10",
        );
        expect(script).to.contain("records_by_hand");
        const result = shellcheck(script);
        expect(result.status, result.stdout).to.equal(0);
    });
});
