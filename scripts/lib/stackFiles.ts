/**
 * Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI does
 * before it starts the program: project defaults under stack values, keys
 * namespaced by the project, structured values passed as JSON, declared types
 * enforced. Secure values cannot be decrypted without the stack's passphrase,
 * so they arrive as a masked placeholder marked secret.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import {
    ConfigError,
    ConfigProblem,
    MASKED_SECURE_VALUE,
    NODE_FILES,
    parseStackConfig,
    PROJECT,
    RawConfig,
    StackConfig,
} from "../../components/config";
import { closestMatch } from "../../components/validation";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * What the plan shows in place of a value it cannot decrypt (defined beside the config reader, which must recognise
 * it).
 */
export { MASKED_SECURE_VALUE };

interface DeclaredKey {
    type?: "string" | "integer" | "boolean" | "array" | "object";
    items?: { type: string };
    default?: unknown;
    secret?: boolean;
    description?: string;
}

export interface ProjectFile {
    name: string;
    config: Record<string, DeclaredKey>;
}

export interface StackSettings {
    stack: string;
    /** Fully qualified keys (`freshtrack:domain`) to the string the program receives. */
    config: Record<string, string>;
    secretKeys: string[];
}

export function readProjectFile(root = REPO_ROOT): ProjectFile {
    const doc = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as ProjectFile;
    return { name: doc.name, config: doc.config ?? {} };
}

/** Stack names that ship with the repository, from the Pulumi.<stack>.yaml files present. */
export function shippedStacks(root = REPO_ROOT): string[] {
    return fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

function typeOf(value: unknown): string {
    if (Array.isArray(value)) return "array";
    if (value === null) return "null";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    return typeof value;
}

function qualify(key: string): string {
    return key.includes(":") ? key : `${PROJECT}:${key}`;
}

/**
 * The attributes a stack settings file may have
 * (https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/).
 */
const STACK_FILE_ATTRIBUTES = ["secretsprovider", "encryptedkey", "encryptionsalt", "config", "environment"];

/**
 * Pulumi.<stack>.yaml parsed, or a ConfigError naming the line of a YAML mistake or an attribute Pulumi does not know.
 */
function readStackFile(stack: string, file: string): { config?: Record<string, unknown> } {
    const name = path.basename(file);
    const text = fs.readFileSync(file, "utf8");
    let doc: unknown;
    try {
        doc = YAML.parse(text) ?? {};
    } catch (err) {
        const reason = ((err as Error).message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
        const pos = (err as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
        // The parser reports some mistakes (an unclosed quote) where it gave up, past the last line; name the last line
        // written instead.
        const lines = text.split("\n");
        const lastWritten = lines.reduce((last, l, i) => (l.trim() !== "" ? i + 1 : last), 1);
        const line = pos ? Math.min(pos.line, lastWritten) : undefined;
        const where = line !== undefined ? `:${line}${line === pos?.line ? `:${pos.col}` : ""}` : "";
        const near = line !== undefined ? ` (line ${line}: ${(lines[line - 1] ?? "").trim()})` : "";
        throw new ConfigError(stack, [
            {
                key: `${name}${where}`,
                value: undefined,
                expected: `not valid YAML: ${reason}${near}`,
                valueHidden: true,
            },
        ]);
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
        throw new ConfigError(stack, [
            { key: name, value: undefined, expected: "a YAML mapping with a config: section", valueHidden: true },
        ]);
    }
    const problems: ConfigProblem[] = [];
    for (const attribute of Object.keys(doc)) {
        if (STACK_FILE_ATTRIBUTES.includes(attribute)) continue;
        const near = closestMatch(attribute, STACK_FILE_ATTRIBUTES);
        problems.push({
            key: `${name}: ${attribute}`,
            value: undefined,
            expected: `not a stack file attribute${near ? `; did you mean ${near}:?` : ` (${STACK_FILE_ATTRIBUTES.join(", ")})`}`,
            valueHidden: true,
        });
    }
    if (problems.length > 0) throw new ConfigError(stack, problems);
    return doc as { config?: Record<string, unknown> };
}

/** The config a `pulumi up` of this stack would hand the program. Throws ConfigError on type mismatches. */
export function loadStackSettings(stack: string, root = REPO_ROOT): StackSettings {
    return settingsFrom(stack, readProjectFile(root), root);
}

/** loadStackSettings on a Pulumi.yaml already read. */
function settingsFrom(stack: string, project: ProjectFile, root: string): StackSettings {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = shippedStacks(root);
        const near = closestMatch(stack, known);
        throw new ConfigError(stack, [
            {
                key: "stack",
                value: stack,
                expected: `a stack with a Pulumi.<stack>.yaml file: ${known.join(", ")}${near ? ` (did you mean ${near}?)` : ""}`,
            },
        ]);
    }
    const doc = readStackFile(stack, file);
    const stackValues = new Map(Object.entries(doc.config ?? {}).map(([k, v]) => [qualify(k), v]));

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const problems: ConfigProblem[] = [];

    const set = (key: string, value: unknown) => {
        if (typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value) {
            config[key] = MASKED_SECURE_VALUE;
            secretKeys.push(key);
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    };

    for (const [name, decl] of Object.entries(project.config)) {
        const key = qualify(name);
        const value = stackValues.has(key) ? stackValues.get(key) : decl.default;
        if (value === undefined) continue; // The program reports missing required keys with the rest.
        const isSecure = typeof value === "object" && value !== null && "secure" in value;
        // A key declared secret never has its value printed.
        const shown = (v: unknown) => (decl.secret ? undefined : v);
        if (decl.type && !isSecure) {
            const actual = typeOf(value);
            const fits = actual === decl.type || (decl.type === "object" && actual === "object");
            // Text where a boolean or a whole number belongs is usually a quoted YAML value, or `pulumi config set`
            // without --type (which writes text); --type bool and int are there from 3.186 on (pulumi v3.186.0
            // pkg/cmd/pulumi/config/config.go:662-663, 730-738).
            const typeFlag = decl.type === "boolean" ? "bool" : decl.type === "integer" ? "int" : undefined;
            // A number or a boolean where text belongs is an unquoted YAML scalar (appVersion: 2.0 reads as 2), and
            // one value where a list belongs wants the list's form.
            const how =
                typeof value === "string" && typeFlag
                    ? `; write it unquoted in the stack file, or set it with pulumi config set --stack ${stack} --type ${typeFlag} ${name} <value>`
                    : decl.type === "string" && ["number", "integer", "boolean"].includes(actual)
                      ? `; YAML read the unquoted value as a ${actual === "boolean" ? "boolean" : "number"}: quote it in the stack file (${key}: "<value>")`
                      : decl.type === "array" && actual !== "object"
                        ? `; write a YAML list, one item per line under the key ("- <item>"), even for one item`
                        : "";
            const expected = `a value of type ${decl.type} (declared in Pulumi.yaml)${how}`;
            // Text in an object key may be a credential pasted into the wrong key (a webhook URL into alerts).
            if (!fits && decl.type === "object" && typeof value === "string") {
                const reason = `set to text that is not valid here (not shown: it may be a pasted secret); expected ${expected}`;
                problems.push({ key, value: undefined, expected: reason, valueHidden: true });
            } else if (!fits) problems.push({ key, value: shown(value), expected });
            if (decl.type === "array" && Array.isArray(value) && decl.items) {
                value.forEach((item, i) => {
                    if (typeOf(item) !== decl.items!.type)
                        problems.push({ key: `${key}[${i}]`, value: shown(item), expected: `a ${decl.items!.type}` });
                });
            }
        }
        // As the CLI: `secret` is checked on typed keys only, and a default counts as a plain-text value
        // (pulumi v3.259.0 pkg/workspace/config.go:101,128 and 316-345). Pulumi.yaml's secret keys are
        // untyped for that reason; the program itself refuses their plain-text values (components/config/source.ts).
        if (decl.secret && decl.type && !isSecure) {
            const fix = `pulumi config set --stack ${stack} --secret ${name} <value>`;
            problems.push({
                key,
                value: undefined,
                valueHidden: true,
                expected: `must be encrypted as it is secret (the Pulumi CLI refuses it too): ${fix}`,
            });
        }
        set(key, value);
    }
    // Undeclared keys pass through; the program itself refuses unknown freshtrack: keys.
    for (const [key, value] of stackValues) {
        if (!(key in config)) set(key, value);
    }
    if (problems.length > 0) throw new ConfigError(stack, problems);
    return { stack, config, secretKeys };
}

/**
 * Why `stack` is not one of this project's stacks (each has a Pulumi.<stack>.yaml), naming the nearest; undefined when
 * it is one.
 */
export function unknownStack(stack: string, root = REPO_ROOT): string | undefined {
    const known = shippedStacks(root);
    if (known.includes(stack)) return undefined;
    const near = closestMatch(stack, known);
    return `there is no stack '${stack}' (no Pulumi.${stack}.yaml)${near ? `; did you mean ${near}?` : "."} Stacks: ${known.join(", ")}`;
}

/**
 * The raw config the program would receive for these settings, as the config parser takes it. `project` is the
 * project's name, read from root's Pulumi.yaml unless the caller has read it already.
 */
export function rawConfigOf(
    settings: StackSettings,
    root = REPO_ROOT,
    project = readProjectFile(root).name,
): RawConfig {
    return {
        stack: settings.stack,
        project,
        values: settings.config,
        encrypted: new Set(settings.secretKeys),
        files: NODE_FILES,
    };
}

/**
 * The validated StackConfig of a shipped stack, as the program would read it, for the commands that need its settings
 * but not its resources: parsed from the stack's files, without running the program.
 */
export function loadStackConfigFor(stack: string): StackConfig {
    // Pulumi.yaml is read once, for its settings and its project name alike.
    const project = readProjectFile();
    return parseStackConfig(rawConfigOf(settingsFrom(stack, project, REPO_ROOT), REPO_ROOT, project.name));
}
