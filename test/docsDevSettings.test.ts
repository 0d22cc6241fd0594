/**
 * Requirement (issue 17, friction 2): the dev stack's local file backend and empty passphrase never leak into the
 * reader's shell. Every command in README.md and docs/ that sets PULUMI_BACKEND_URL or PULUMI_CONFIG_PASSPHRASE does
 * it for one command (`VAR=value pulumi ...`) or inside a subshell (`( export ...; pulumi ... )`), never with an
 * `export` the rest of the session keeps; and every `pulumi` command on the `dev` stack carries both settings, so a
 * reader never has to export them to follow the docs.
 * Rung: unit (the docs' shell text, read by a small scanner of the shell syntax the docs use: `&&`, `||`, `;`, `|`,
 * newlines, subshell parentheses, quotes, comments and leading assignments).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { codeSpans, fencedBlocks, lines } from "./docsCheck/markdown";
import { loadRepoFacts, markdownPages } from "./docsCheck/facts";
import { REPO_ROOT } from "../scripts/lib/stackFiles";

const DEV_SETTINGS = ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"] as const;
const DEV_STACK = /(?:--stack[= ]|-s )dev\b|\bstack (?:select|init) (?:--create )?dev\b/;

/** Simple commands of a shell text, each with the subshell depth it runs at and what that subshell exported. */
function simpleCommands(text: string): Array<{ command: string; depth: number; exported: ReadonlySet<string> }> {
    const out: Array<{ command: string; depth: number; exported: ReadonlySet<string> }> = [];
    const scopes: Array<Set<string>> = [new Set()];
    let current = "";
    let quote: string | undefined;
    const flush = () => {
        const command = current.trim();
        current = "";
        if (!command) return;
        const scope = scopes[scopes.length - 1]!;
        const exported = /^export\s+(.*)$/.exec(command);
        if (exported) for (const m of exported[1]!.matchAll(/([A-Z_][A-Z0-9_]*)=/g)) scope.add(m[1]!);
        out.push({ command, depth: scopes.length - 1, exported: new Set(scope) });
    };
    const source = text.replace(/\\\n/g, " ");
    for (let i = 0; i < source.length; i++) {
        const c = source[i]!;
        if (quote) {
            current += c;
            if (c === quote) quote = undefined;
            continue;
        }
        if (c === "'" || c === '"') {
            quote = c;
            current += c;
        } else if (c === "#" && (i === 0 || /\s/.test(source[i - 1]!))) {
            while (i + 1 < source.length && source[i + 1] !== "\n") i++;
        } else if (c === "(" && current.trim() === "") {
            scopes.push(new Set(scopes[scopes.length - 1]));
        } else if (c === ")" && scopes.length > 1 && !/\$\([^)]*$/.test(current)) {
            flush();
            scopes.pop();
        } else if (c === "\n" || c === ";" || c === "&" || c === "|") {
            flush();
        } else {
            current += c;
        }
    }
    flush();
    return out;
}

/** What is wrong with a shell text's use of the dev settings, one phrase each. */
function devSettingProblems(text: string): string[] {
    const problems: string[] = [];
    for (const { command, depth, exported } of simpleCommands(text)) {
        const exporting = /^export\s/.test(command);
        for (const name of DEV_SETTINGS) {
            if (exporting && depth === 0 && new RegExp(`\\b${name}=`).test(command))
                problems.push(`\`${command}\` exports ${name} into the reader's shell; use a subshell or a prefix`);
        }
        const prefix = /^((?:[A-Z_][A-Z0-9_]*=(?:"[^"]*"|'[^']*'|\S*)\s+)*)(\S+)(.*)$/.exec(command);
        if (!prefix || prefix[2] !== "pulumi" || !DEV_STACK.test(prefix[3]!)) continue;
        const set = new Set([...exported, ...[...prefix[1]!.matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1]!)]);
        const missing = DEV_SETTINGS.filter((name) => !set.has(name));
        if (missing.length > 0) problems.push(`\`${command}\` runs on the dev stack without ${missing.join(" and ")}`);
    }
    return problems;
}

/** Every shell text of a page: its sh/bash/unlabelled fenced blocks whole, and its code spans outside them. */
function shellTexts(md: string): Array<{ line: number; text: string }> {
    const blocks = fencedBlocks(md)
        .filter((b) => ["", "sh", "bash", "shell", "console"].includes(b.lang))
        .map((b) => ({ line: b.line, text: b.body }));
    const spans = lines(md)
        .filter((l) => !l.fenced)
        .flatMap((l) => codeSpans(l.text).map((text) => ({ line: l.n, text })));
    return [...blocks, ...spans];
}

describe("docs keep the dev stack's settings out of the reader's shell (issue 17, friction 2)", () => {
    it("no page exports PULUMI_BACKEND_URL or PULUMI_CONFIG_PASSPHRASE, and every dev pulumi command carries both", () => {
        const problems: string[] = [];
        for (const page of markdownPages(loadRepoFacts(REPO_ROOT))) {
            const md = fs.readFileSync(path.join(REPO_ROOT, page), "utf8");
            for (const { line, text } of shellTexts(md))
                for (const problem of devSettingProblems(text)) problems.push(`${page}:${line}: ${problem}`);
        }
        expect(problems, problems.join("\n")).to.deep.equal([]);
    });

    it("catches an export at the top level, and a dev command left without the settings", () => {
        expect(
            devSettingProblems(
                'export PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE="" && pulumi up --stack dev',
            ),
        ).to.have.length(2);
        expect(devSettingProblems("pulumi config set --path appBuild.context ../app --stack dev")).to.deep.equal([
            "`pulumi config set --path appBuild.context ../app --stack dev` runs on the dev stack without PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE",
        ]);
        expect(devSettingProblems('PULUMI_BACKEND_URL="file://~" pulumi stack output -s dev')).to.have.length(1);
        // The subshell's export ends with it: a dev command after the closing parenthesis has nothing.
        expect(
            devSettingProblems(
                '(export PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE=""; pulumi up --stack dev)\npulumi stack output --stack dev',
            ),
        ).to.have.length(1);
    });

    it("accepts a subshell across lines, a prefix, and commands on other stacks", () => {
        expect(
            devSettingProblems(
                [
                    '(export PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE=""',
                    " pulumi config set --path appBuild.context ../app --stack dev  # the checkout",
                    " pulumi up --stack dev --yes)",
                ].join("\n"),
            ),
        ).to.deep.equal([]);
        expect(
            devSettingProblems(
                'PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE="" pulumi stack output caCertificate --stack dev > ca.pem',
            ),
        ).to.deep.equal([]);
        expect(devSettingProblems('pulumi up --stack prod && echo "$(date)" | tee log')).to.deep.equal([]);
    });
});
