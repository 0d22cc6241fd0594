/** The `config:` block of Pulumi.yaml, rendered from the schema (npm run generate writes it). */
import * as YAML from "yaml";
import { FieldSpecs } from "./fields";
import { NESTED } from "./nestedFields";
import { CONFIG_KEYS, CONFIG_SCHEMA, ConfigKey, KeySpec } from "./schema";

/**
 * The defaults of a key's settings, nested ones dotted (`e2e.celsius 15`), in the order they are declared: scalar
 * ones only, as a list or an object would drown the sentence (rollback.exportTables is in the default block).
 */
function statedDefaults(fields: FieldSpecs, prefix = ""): string[] {
    const stated: string[] = [];
    for (const [name, spec] of Object.entries(fields)) {
        if (spec.inDescription === false) continue;
        if (spec.kind === "object") {
            stated.push(...statedDefaults(spec.fields, `${prefix}${name}.`));
            continue;
        }
        const value = spec.default;
        if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
            // Text with a space or a comma in it is quoted, so that the list still reads as one.
            const shown =
                typeof value === "string" && (value === "" || /[\s,]/.test(value)) ? JSON.stringify(value) : value;
            stated.push(`${prefix}${name} ${String(shown)}`);
        }
    }
    return stated;
}

/**
 * A key's description as Pulumi.yaml carries it: the schema's prose, then the defaults of an object key's settings
 * rendered from the fields themselves, so that prose never restates one (test/configSchema.test.ts checks it does
 * not). A typed key's default is not repeated: Pulumi.yaml's own `default:` stands beside the description.
 */
export function projectDescription(key: ConfigKey): string {
    const spec: KeySpec = CONFIG_SCHEMA[key];
    if (!("type" in spec) || spec.type !== "object") return spec.description;
    const nested: FieldSpecs = key in NESTED ? NESTED[key as keyof typeof NESTED] : {};
    const stated = statedDefaults({ ...spec.fields, ...nested });
    return stated.length === 0 ? spec.description : `${spec.description} Defaults: ${stated.join(", ")}.`;
}

/** One key as Pulumi.yaml declares it. */
function projectEntry(key: ConfigKey): Record<string, unknown> {
    const spec: KeySpec = CONFIG_SCHEMA[key];
    const description = projectDescription(key);
    if ("secret" in spec) return { secret: true, description, default: "" };
    if (spec.type === "object") {
        const fields = Object.entries(spec.fields);
        const shown = fields.filter(([, f]) => f.default !== undefined && f.inProjectDefault !== false);
        return {
            type: "object",
            description,
            default: Object.fromEntries(shown.map(([n, f]) => [n, f.default])),
        };
    }
    return {
        type: spec.type,
        ...(spec.type === "array" ? { items: { type: "string" } } : {}),
        description,
        ...(spec.default !== undefined ? { default: spec.default } : {}),
    };
}

/**
 * The oldest Pulumi CLI this project runs on: 3.186 added object-typed config keys, which Pulumi.yaml's config block
 * declares (docs/prerequisites.md). The operator scripts ask the Automation API to refuse an older CLI.
 */
export const MIN_PULUMI_CLI_VERSION = "3.186.0";

const PROJECT_CONFIG_HEADER = `# Generated from components/config/schema.ts by \`npm run generate\`: change the schema, not this block.
# Object-typed keys need Pulumi CLI ${MIN_PULUMI_CLI_VERSION.replace(/\.0$/, "")} or newer. Secret keys are declared \`secret: true\` with no
# \`type\` (components/config/schema.ts, SecretKey, says why); the program refuses a plain-text value for them.
`;

/** The `config:` block of Pulumi.yaml, with its header comment, as generated from the schema. */
export function renderProjectConfig(): string {
    const config = Object.fromEntries(CONFIG_KEYS.map((key) => [key, projectEntry(key)]));
    return PROJECT_CONFIG_HEADER + YAML.stringify({ config }, { lineWidth: 0 });
}
