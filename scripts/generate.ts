/**
 * npm run generate [-- [--check] [--file <Pulumi.yaml>]]
 *
 * Writes the `config:` block of Pulumi.yaml from the config schema (components/config/schema.ts); everything
 * above the block's header comment is kept. With --check it changes nothing and exits 1 when the file is stale.
 * Exit codes: 0 written or current, 1 stale (--check), 2 usage or unexpected failure.
 */
import * as fs from "fs";
import * as path from "path";
import { renderProjectConfig } from "../components/config";
import { commandLine } from "./lib/commandLine";
import { runCli } from "./lib/cli";
import { REPO_ROOT } from "./lib/stackFiles";

/** The first line of the generated block; what precedes it in Pulumi.yaml is the project's own. */
export const GENERATED_MARKER = "# Generated from components/config/schema.ts";

/** Pulumi.yaml as it should read: its own head, then the generated config block. */
export function projectFileWithSchema(current: string): string {
    const at = current.indexOf(GENERATED_MARKER);
    if (at < 0) throw new Error(`Pulumi.yaml has no line starting "${GENERATED_MARKER}" to put the config block after`);
    return current.slice(0, at) + renderProjectConfig();
}

async function main(argv: string[]): Promise<number> {
    const line = commandLine("generate", argv, {
        usage:
            "[--check] [--file <path>]\n" +
            "  --check        change nothing; exit 1 if the config block is stale\n" +
            "  --file <path>  the Pulumi.yaml to write or check (default: the project's own)\n" +
            "  example: npm run generate -- --check",
        options: { check: { type: "boolean" }, file: { type: "string" } },
        stacks: "many",
    });
    if ("exitCode" in line) return line.exitCode;
    if (line.stacks.length > 0) {
        console.error(`generate: unexpected argument '${line.stacks[0]}'; it takes no stack`);
        return 2;
    }
    const file = typeof line.values.file === "string" ? line.values.file : path.join(REPO_ROOT, "Pulumi.yaml");
    const current = fs.readFileSync(file, "utf8");
    const wanted = projectFileWithSchema(current);
    if (current === wanted) {
        console.log(`${file}: the config block matches components/config/schema.ts`);
        return 0;
    }
    if (line.values.check === true) {
        console.error(`${file}: the config block differs from components/config/schema.ts; run npm run generate`);
        return 1;
    }
    fs.writeFileSync(file, wanted);
    console.log(`${file}: config block written from components/config/schema.ts`);
    return 0;
}

if (require.main === module) runCli("generate", main);
