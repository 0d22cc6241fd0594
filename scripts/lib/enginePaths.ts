/**
 * The property paths of ignoreChanges and replaceOnChanges as the engine applies them to a resource's inputs, for
 * engineModel.ts. Citations are to pulumi/pulumi v3.259.0, with the paths engineModel.ts's header gives.
 */
import type { Properties } from "./engineTypes";

/** The key an initialization error is reported under in a diff (step_generator.go:3118). */
export const INIT_ERROR_KEY = "#initerror";

/**
 * Whether a replaceOnChanges path covers a changed key: "*" covers every key, and a path covers itself and
 * anything below it (sdk/go/common/resource/properties_path.go:314-342, PropertyPath.Contains).
 */
export function pathCovers(pattern: string, key: string): boolean {
    if (pattern === "*" || pattern === key) return true;
    return key.startsWith(`${pattern}.`) || key.startsWith(`${pattern}[`);
}

/**
 * The program's inputs with every ignored path set back to its old value, or removed when the old inputs
 * lack it (step_generator.go:3026-3048; properties_path.go:508-535, PropertyPath.reset). Dotted object
 * paths only.
 */
export function applyIgnoreChanges(inputs: Properties, oldInputs: Properties, paths: readonly string[]): Properties {
    const result = clone(inputs);
    for (const path of paths) resetPath(result, oldInputs, path.split("."));
    return result;
}

function resetPath(target: Properties, source: Properties | undefined, keys: string[]): void {
    const [head, ...rest] = keys;
    if (head === undefined) return;
    if (rest.length === 0) {
        if (source !== undefined && Object.prototype.hasOwnProperty.call(source, head))
            target[head] = clone(source[head]);
        else delete target[head];
        return;
    }
    const next = target[head];
    const from = source?.[head];
    if (isObject(next)) resetPath(next, isObject(from) ? from : undefined, rest);
}

export function clone<T>(value: T): T {
    return structuredClone(value);
}

function isObject(value: unknown): value is Properties {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
