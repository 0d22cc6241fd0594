import { expect } from "chai";
import { deployStack } from "../components/stack";
import { runStack } from "./helpers";

describe("documentation examples left in a droplet or VM stack (placeholderValues)", () => {
    it("is a warning of the program itself, so pulumi preview and pulumi up print it too", async () => {
        const prod = await runStack("prod", deployStack);
        expect(prod.warnings).to.have.length(1);
        expect(prod.warnings[0]).to.match(
            /^Pulumi.prod.yaml still has documentation example values, which cannot work deployed; set your own \(docs\/walkthrough.md, step 4\):\n {2}freshtrack:domain = freshtrack.example.com\n/,
        );
        expect((await runStack("dev", deployStack)).warnings).to.deep.equal([]);
    });
});
