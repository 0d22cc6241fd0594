/**
 * Rung 6 of the ladder (shared design, "Testing"): every Service checked
 * against the contract of the image it runs (components/imageContracts/),
 * which cites the image's own Dockerfile and entrypoint at the pinned tag.
 * This is where an entrypoint that needs a dropped capability, or a health
 * check that calls a binary the image lacks, is caught before a real `up`.
 */
import { expect } from "chai";
import { contractFor, IMAGE_CONTRACTS, imagesWithoutContract } from "../components/imageContracts";
import { PUBLIC_IMAGES } from "../components/images";
import { contractProblems } from "./imageContractsFixtures";

describe("Image contracts: every Service against its pinned image (rung 6: image contracts, cited)", function () {
    this.timeout(60_000);

    it("every pinned public image has exactly one contract, and every contract is for a pinned image", () => {
        expect(imagesWithoutContract()).to.deep.equal([]);
        const pinned = new Set<string>(Object.values(PUBLIC_IMAGES));
        expect(IMAGE_CONTRACTS.map((c) => c.image).filter((i) => !pinned.has(i))).to.deep.equal([]);
        expect(new Set(IMAGE_CONTRACTS.map((c) => c.image)).size).to.equal(IMAGE_CONTRACTS.length);
    });

    it("every contract cites its source for the user, the privilege drop and each binary", () => {
        const uncited = IMAGE_CONTRACTS.flatMap((c) => [
            ...(c.runsAs.source.trim() === "" ? [`${c.image}: runsAs`] : []),
            ...(c.privilegeDrop && c.privilegeDrop.source.trim() === "" ? [`${c.image}: privilegeDrop`] : []),
            ...Object.entries(c.binaries)
                .filter(([, s]) => s.trim() === "")
                .map(([b]) => `${c.image}: ${b}`),
        ]);
        expect(uncited).to.deep.equal([]);
    });

    describe("the checks catch what they are for", () => {
        const kuma = contractFor(PUBLIC_IMAGES.uptimeKuma)!;
        const promtail = contractFor(PUBLIC_IMAGES.promtail)!;
        it("an entrypoint that drops privileges without the capability it needs (Uptime Kuma's setpriv without SETGID)", () => {
            expect(
                contractProblems(
                    {
                        name: "uptime-kuma",
                        capabilities: { adds: [] },
                        healthcheck: { tests: ["CMD", "extra/healthcheck"] },
                    },
                    kuma,
                ),
            ).to.have.length(1);
        });
        it("a CMD-SHELL health check with bash syntax in an image whose /bin/sh is dash (promtail's /dev/tcp probe)", () => {
            const spec = {
                name: "promtail",
                healthcheck: { tests: ["CMD-SHELL", "exec 3<>/dev/tcp/127.0.0.1/9080 && grep -q ' 200 ' <&3"] },
            };
            expect(contractProblems(spec, promtail).join("\n")).to.match(/bash syntax/);
        });
        it("a health check binary the image does not have (curl in promtail)", () => {
            expect(
                contractProblems(
                    { name: "promtail", healthcheck: { tests: ["CMD", "curl", "-f", "http://127.0.0.1:9080/ready"] } },
                    promtail,
                ),
            ).to.have.length(1);
        });
    });
});
