/** The `config:` block of Pulumi.yaml, rendered from the schema (npm run generate writes it). */
import * as YAML from "yaml";
import { FieldSpec } from "./fields";
import { CONFIG_KEYS, CONFIG_SCHEMA, KeySpec } from "./schema";

/** One key as Pulumi.yaml declares it. */
function projectEntry(spec: KeySpec): Record<string, unknown> {
    if ("secret" in spec) return { secret: true, description: spec.description, default: "" };
    if (spec.type === "object") {
        const fields = Object.entries(spec.fields as Record<string, FieldSpec<unknown>>);
        const shown = fields.filter(([, f]) => f.default !== undefined && f.inProjectDefault !== false);
        return {
            type: "object",
            description: spec.description,
            default: Object.fromEntries(shown.map(([n, f]) => [n, f.default])),
        };
    }
    return {
        type: spec.type,
        ...(spec.type === "array" ? { items: { type: "string" } } : {}),
        description: spec.description,
        ...(spec.default !== undefined ? { default: spec.default } : {}),
    };
}

const PROJECT_CONFIG_HEADER = `# Generated from components/config/schema.ts by \`npm run generate\`: change the schema, not this block.
# Object-typed keys need Pulumi CLI 3.186 or newer. Secret keys are declared \`secret: true\` with no
# \`type\` (components/config/schema.ts, SecretKey, says why); the program refuses a plain-text value for them.
`;

/** The `config:` block of Pulumi.yaml, with its header comment, as generated from the schema. */
export function renderProjectConfig(): string {
    const config = Object.fromEntries(CONFIG_KEYS.map((key) => [key, projectEntry(CONFIG_SCHEMA[key])]));
    return PROJECT_CONFIG_HEADER + YAML.stringify({ config }, { lineWidth: 0 });
}
