/** Image references: pinned tags and digests. */
import type { Check } from "./check";

/** A parsed `registry/repository[:tag][@sha256:digest]` reference. */
export interface ImageRef {
    /** Everything before the tag: registry host (optional) and repository path. */
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
    /** The reference as Docker accepts it. */
    readonly ref: string;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REPOSITORY = /^([a-z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A tag that names one build: anything but empty and `latest`. */
export const checkPinnedTag: Check<string> = (value) => {
    if (value === "latest")
        return "a pinned version tag such as 1.4.2 (latest is refused: it changes under a running stack)";
    return TAG.test(value)
        ? undefined
        : "a Docker tag such as 1.4.2 (letters, digits, '.', '_', '-'; at most 128 characters)";
};

/**
 * Parses an image reference and insists that it is pinned: a tag other than
 * `latest`, or a digest. Returns the parsed reference or the expectation.
 */
export function parseImageRef(value: string): ImageRef | string {
    const expected = "an image reference registry/name:tag or name@sha256:digest";
    let rest = value;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!DIGEST.test(digest)) return `${expected} (the digest must be sha256: and 64 hex digits)`;
    }
    let tag: string | undefined;
    const lastSlash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    if (colon > lastSlash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        const tagProblem = checkPinnedTag(tag);
        if (tagProblem) return tagProblem;
    }
    if (!REPOSITORY.test(rest)) return `${expected} (the name may use lowercase letters, digits and . _ - /)`;
    if (tag === undefined && digest === undefined) return `${expected} (untagged images are refused: they mean latest)`;
    return {
        repository: rest,
        ...(tag !== undefined ? { tag } : {}),
        ...(digest !== undefined ? { digest } : {}),
        ref: value,
    };
}
