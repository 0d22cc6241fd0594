/** Domain names, email addresses and host:port: the names operators put in stack config. */
import * as net from "net";
import { type Check, describeChar } from "./check";

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A lowercase DNS name of two or more labels, or `localhost` and its subdomains. */
export const checkDomain: Check<string> = (value) => {
    const expected = "a lowercase DNS name such as freshtrack.example.com";
    if (value.length === 0 || value.length > 253) return expected;
    const labels = value.split(".");
    if (!labels.every((l) => DNS_LABEL.test(l))) return expected;
    if (labels.length < 2 && value !== "localhost") return expected;
    if (/^[0-9]+$/.test(labels[labels.length - 1] ?? "")) return `${expected} (not an IP address)`;
    return undefined;
};

/** Names that cannot get a publicly trusted certificate, so ACME would fail. */
export function isLocalOnlyDomain(domain: string): boolean {
    return (
        domain === "localhost" ||
        domain.endsWith(".localhost") ||
        domain.endsWith(".local") ||
        domain.endsWith(".internal") ||
        domain.endsWith(".test")
    );
}

/**
 * Letters, digits and `_ % + -`: the part of RFC 5322 atext real mailboxes use (plus
 * addressing included). The rest of atext (`# ! & * / = ? ^ | ~ { } $ ' \``) is syntax
 * in the Caddyfile, YAML or a shell, and no mailbox the stack needs has it.
 */
const EMAIL_ATOM = /^[A-Za-z0-9_%+-]+$/;

/** Characters refused in an email address with a reason beyond "not in an address": their name, and why. */
const EMAIL_SYNTAX: Record<string, readonly [string, string]> = {
    "{": ["a brace {", "Caddy expands {$VAR} and {env.VAR} in the Caddyfile, even inside quotes"],
    "}": ["a brace }", "Caddy expands {$VAR} and {env.VAR} in the Caddyfile, even inside quotes"],
    $: ["a dollar sign $", "Caddy expands {$VAR} in the Caddyfile, and shells expand $"],
    '"': ['a double quote "', "it ends a quoted Caddyfile token"],
    "'": ["a single quote '", "it ends a quoted shell word"],
    "`": ["a backquote `", "it starts a quoted Caddyfile token"],
    "\\": ["a backslash \\", "it escapes the next character in the Caddyfile"],
};

/**
 * A plain addr-spec, local@domain, that every file it reaches can carry: ASCII, a
 * dot-atom local part of at most 64 characters (RFC 5321 section 4.5.3.1.1) and a DNS
 * name of two or more labels. Quoted local parts, address literals and comments are
 * refused: no mailbox the stack needs has them, and each is syntax somewhere.
 */
export const checkEmail: Check<string> = (value) => {
    const expected = "an email address such as ops@example.com (local@domain, plain ASCII)";
    const odd = [...value].find((ch) => ch <= "\x20" || ch > "\x7e");
    if (odd !== undefined) return `${expected}; it contains ${odd === " " ? "a space (U+0020)" : describeChar(odd)}`;
    const syntax = [...value].find((ch) => ch in EMAIL_SYNTAX);
    if (syntax !== undefined)
        return `${expected}; it contains ${EMAIL_SYNTAX[syntax]![0]}, refused because ${EMAIL_SYNTAX[syntax]![1]}`;
    const at = value.indexOf("@");
    if (at < 0 || at !== value.lastIndexOf("@")) return `${expected}; it needs exactly one @`;
    const local = value.slice(0, at);
    const domain = value.slice(at + 1);
    if (local.length === 0 || local.length > 64 || !local.split(".").every((atom) => EMAIL_ATOM.test(atom))) {
        return `${expected}; the part before @ must be 1-64 letters, digits and _ % + -, with single dots between them`;
    }
    const lower = domain.toLowerCase();
    const tld = lower.slice(lower.lastIndexOf(".") + 1);
    if (
        value.length > 254 ||
        checkDomain(lower) !== undefined ||
        !lower.includes(".") ||
        !/^([a-z]{2,63}|xn--[a-z0-9-]+)$/.test(tld)
    ) {
        return `${expected}; the part after @ must be a DNS name such as example.com`;
    }
    return undefined;
};

/** `host:port` as Alertmanager's smarthost expects it. */
export const checkHostPort: Check<string> = (value) => {
    const m = /^(.+):(\d{1,5})$/.exec(value);
    const port = m ? Number(m[2]) : 0;
    return m && port > 0 && port < 65536 && (checkDomain(m[1]!) === undefined || net.isIP(m[1]!) !== 0)
        ? undefined
        : "host:port such as smtp.example.com:587";
};

/** Names reserved for documentation and testing (RFC 2606): no one can own them, no CA issues for them. */
export function isReservedExampleDomain(domain: string): boolean {
    const d = domain.toLowerCase().replace(/\.$/, "");
    return /(^|\.)example\.(com|net|org)$/.test(d) || /(^|\.)(example|test|invalid)$/.test(d);
}
