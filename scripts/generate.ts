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
import { commandLine, CommandLineSpec } from "./lib/commandLine";
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

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "write Pulumi.yaml's config block from the schema, or check that it is current",
    details: [
        `The block starts at the line "${GENERATED_MARKER}"; everything above it is kept. Run it after ` +
            "changing components/config/schema.ts: test/configSchema.test.ts fails while the file is stale.",
    ],
    options: {
        check: {
            type: "boolean",
            description: "Change nothing; exit 1 if the config block differs from the schema.",
        },
        file: {
            type: "string",
            value: "<path>",
            description: "The Pulumi.yaml to write or check. Default: the project's own.",
        },
    },
    exitCodes: [
        ["0", "the block was written, or was current already"],
        ["1", "the block is stale (with --check)"],
        ["2", "a usage error, or the file has no line to put the block after"],
    ],
    examples: [
        { command: "npm run generate", what: "Rewrite the config block after changing the schema." },
        { command: "npm run generate -- --check", what: "Only check it, as the tests do." },
    ],
} satisfies CommandLineSpec;

async function main(argv: string[]): Promise<number> {
    const line = commandLine("generate", argv, COMMAND_LINE);
    if ("exitCode" in line) return line.exitCode;
    const file = line.values.file ?? path.join(REPO_ROOT, "Pulumi.yaml");
    const current = fs.readFileSync(file, "utf8");
    const wanted = projectFileWithSchema(current);
    if (current === wanted) {
        console.log(`${file}: the config block matches components/config/schema.ts`);
        return 0;
    }
    if (line.values.check) {
        console.error(`${file}: the config block differs from components/config/schema.ts; run npm run generate`);
        return 1;
    }
    fs.writeFileSync(file, wanted);
    console.log(`${file}: config block written from components/config/schema.ts`);
    return 0;
}

if (require.main === module) runCli("generate", main);
