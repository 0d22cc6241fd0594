/**
 * Rung 3 (the real source tree): the layout issue 16 asks for, read from the files themselves.
 *
 * - The Pulumi program (index.ts and components/) holds only Pulumi components and pure renderers. What runs
 *   against a live stack (HTTP checks, mail, rollback planning) lives in operator/ and scripts/, which may import
 *   from components/, never the reverse; no program file opens a socket, sends mail or starts a process.
 * - No source file is over 450 lines.
 *
 * Imports are read with the TypeScript parser, not with a regular expression, so comments and strings that name a
 * module (a rendered shell script, a cited path) are not taken for imports.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT, sourceFiles } from "./sourceTree";

/** The Pulumi program: what `pulumi up` evaluates to build the resource graph. */
const PROGRAM = ["index.ts", "components/"];
/** Code that runs against a live stack; the program must not import it. */
const OPERATOR_DIRS = ["operator", "scripts"];

/**
 * Modules that reach outside the process: the network, mail, child processes, the local file system and machine.
 * Each name is matched with and without the `node:` prefix and with any subpath (`dns/promises`, `fs/promises`).
 */
const OUTSIDE_MODULES = new Set([
    "http",
    "https",
    "http2",
    "net",
    "tls",
    "dns",
    "dgram",
    "child_process",
    "cluster",
    "nodemailer",
    "fs",
    "os",
]);

/** Globals that open a connection without an import. */
const NETWORK_GLOBALS = new Set(["fetch", "WebSocket", "EventSource", "XMLHttpRequest"]);

/** What a program file may use of an outside module, member by member, and why that use is no runtime I/O. */
interface Allowance {
    readonly module: string;
    readonly members: readonly string[];
    /** Only these files; every program file when absent. */
    readonly files?: readonly string[];
    readonly why: string;
}

const ALLOWED: readonly Allowance[] = [
    {
        // Node v20.20.2 doc/api/net.md:1810-1821: isIP returns 6, 4 or 0 for a string; :74-84: a BlockList holds
        // address rules in memory, which network APIs may consult; building and checking one opens nothing.
        module: "net",
        members: ["isIP", "isIPv4", "isIPv6", "BlockList"],
        why: "string predicates on IP addresses, and an in-memory list of address rules",
    },
    {
        // Part of the program's evaluation, not of a live stack: NODE_FILES lets the config parser refuse an appBuild
        // context that does not exist before any resource is registered (the parser itself takes it as an argument).
        module: "fs",
        members: ["existsSync", "statSync"],
        files: ["components/config/index.ts"],
        why: "the appBuild check: the build context and its Dockerfile exist on this machine",
    },
    {
        // The Docker provider's ssh reads the deploy key and known_hosts from files, which the program writes from
        // state on every run (components/host/deployKey.ts, sshOptionsWithKey); the files live under the home
        // directory so that `pulumi destroy` without the program finds them again.
        module: "fs",
        members: ["mkdirSync", "chmodSync", "existsSync", "readFileSync", "rmSync", "writeFileSync", "renameSync"],
        files: ["components/host/deployKey.ts"],
        why: "writes the deploy key and the pinned known_hosts for the Docker provider's ssh",
    },
    {
        module: "os",
        members: ["homedir"],
        files: ["components/host/deployKey.ts"],
        why: "the deploy key's directory is under the home directory",
    },
];

/** The module a specifier names: `node:dns/promises` is dns, `@scope/pkg/x` is @scope/pkg. */
function moduleName(spec: string): string {
    const bare = spec.replace(/^node:/, "");
    const parts = bare.split("/");
    return bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

function isUnder(rel: string, dir: string): boolean {
    return rel === dir || rel.startsWith(`${dir}/`);
}

/** Names that are a property or member's own name, not a reference to a binding of that name. */
function isOwnName(node: ts.Identifier): boolean {
    const p = node.parent;
    return (
        ((ts.isPropertyAccessExpression(p) || ts.isQualifiedName(p)) &&
            node !== (ts.isQualifiedName(p) ? p.left : p.expression)) ||
        ((ts.isPropertyAssignment(p) ||
            ts.isPropertyDeclaration(p) ||
            ts.isPropertySignature(p) ||
            ts.isMethodDeclaration(p) ||
            ts.isMethodSignature(p) ||
            ts.isGetAccessor(p) ||
            ts.isSetAccessor(p) ||
            ts.isEnumMember(p)) &&
            p.name === node)
    );
}

/**
 * Every way a program file reaches outside the process or into the operator's code. `file` is the path from the
 * repository root (it decides the allowances and resolves relative imports); `text` is its source.
 */
function layoutViolations(file: string, text: string): string[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const problems: string[] = [];
    const where = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const allowed = (module: string) =>
        new Set(
            ALLOWED.filter((a) => a.module === module && (!a.files || a.files.includes(file))).flatMap(
                (a) => a.members,
            ),
        );

    /** A module import; `names` are the named imports, `binding` a namespace or default binding. */
    const checkImport = (
        node: ts.Node,
        spec: string,
        use: { typeOnly?: boolean; names?: readonly string[]; binding?: ts.Identifier; whole?: string },
    ) => {
        if (spec.startsWith(".")) {
            const rel = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
            const dir = OPERATOR_DIRS.find((d) => isUnder(rel, d));
            if (dir) problems.push(`${where(node)} imports ${spec}: the program must not depend on ${dir}/`);
            return;
        }
        const module = moduleName(spec);
        // A type-only import is erased when compiled: it cannot reach anything.
        if (!OUTSIDE_MODULES.has(module) || use.typeOnly) return;
        const members = allowed(module);
        if (members.size === 0) {
            problems.push(`${where(node)} imports ${spec}, which reaches outside the process (no allowance here)`);
            return;
        }
        if (use.whole) problems.push(`${where(node)} ${use.whole} ${spec}: only named members can be allowed`);
        for (const name of use.names ?? [])
            if (!members.has(name)) problems.push(`${where(node)} imports ${name} from ${spec}: not allowed here`);
        if (use.binding) checkMembers(use.binding, spec, members);
    };

    /** Every reference to a namespace binding must be `binding.member` with an allowed member. */
    const checkMembers = (binding: ts.Identifier, spec: string, members: ReadonlySet<string>) => {
        const visit = (node: ts.Node): void => {
            if (ts.isIdentifier(node) && node !== binding && node.text === binding.text && !isOwnName(node)) {
                const p = node.parent;
                const member = ts.isPropertyAccessExpression(p)
                    ? p.name.text
                    : ts.isQualifiedName(p)
                      ? p.right.text
                      : undefined;
                if (member === undefined)
                    problems.push(
                        `${where(node)} uses ${binding.text} (${spec}) as a value: only members can be allowed`,
                    );
                else if (!members.has(member))
                    problems.push(`${where(node)} uses ${binding.text}.${member} (${spec}): not allowed here`);
            }
            ts.forEachChild(node, visit);
        };
        visit(source);
    };

    const visit = (node: ts.Node): void => {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
            const clause = node.importClause;
            const bindings = clause?.namedBindings;
            const names =
                bindings && ts.isNamedImports(bindings)
                    ? bindings.elements.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text)
                    : [];
            const binding = bindings && ts.isNamespaceImport(bindings) ? bindings.name : clause?.name;
            checkImport(node, node.moduleSpecifier.text, {
                typeOnly: clause?.isTypeOnly ?? false,
                names,
                ...(binding ? { binding } : {}),
            });
        } else if (
            ts.isImportEqualsDeclaration(node) &&
            ts.isExternalModuleReference(node.moduleReference) &&
            ts.isStringLiteral(node.moduleReference.expression)
        ) {
            checkImport(node, node.moduleReference.expression.text, { typeOnly: node.isTypeOnly, binding: node.name });
        } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
            const clause = node.exportClause;
            checkImport(node, node.moduleSpecifier.text, {
                typeOnly: node.isTypeOnly,
                ...(clause && ts.isNamedExports(clause)
                    ? {
                          names: clause.elements
                              .filter((e) => !e.isTypeOnly)
                              .map((e) => (e.propertyName ?? e.name).text),
                      }
                    : { whole: "re-exports all of" }),
            });
        } else if (ts.isCallExpression(node)) {
            const [arg] = node.arguments;
            const callee = node.expression;
            const loader =
                callee.kind === ts.SyntaxKind.ImportKeyword
                    ? "imports"
                    : ts.isIdentifier(callee) && callee.text === "require"
                      ? "requires"
                      : undefined;
            if (loader && arg && ts.isStringLiteralLike(arg)) checkImport(node, arg.text, { whole: loader });
            else if (loader) problems.push(`${where(node)} ${loader} a module named at run time`);
        }
        if (
            ts.isIdentifier(node) &&
            NETWORK_GLOBALS.has(node.text) &&
            (ts.isCallExpression(node.parent) || ts.isNewExpression(node.parent)) &&
            node.parent.expression === node
        )
            problems.push(`${where(node)} calls ${node.text}, which opens a connection`);
        ts.forEachChild(node, visit);
    };
    visit(source);
    return problems;
}

function lineCount(text: string): number {
    return text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

describe("layout: the Pulumi program holds only components and pure renderers", () => {
    it("the checker catches each way of reaching outside (a synthetic file)", () => {
        const broken = [
            'import * as http from "node:http";',
            'import { connect, isIP } from "net";',
            'import * as net2 from "net";',
            'import { notify } from "../../operator/notify";',
            'export * from "node:dns/promises";',
            "const cp = require('child_process');",
            "const mailer = import('nodemailer');",
            "const n = net2;",
            "net2.createConnection(1);",
            "net2.isIPv4('1.2.3.4');",
            "fetch('http://127.0.0.1');",
            "isIP('x'); connect(1); http.get('x'); notify; cp; mailer; n;",
        ].join("\n");
        const found = layoutViolations("components/host/example.ts", broken);
        const expected = [
            "components/host/example.ts:1 imports node:http",
            "components/host/example.ts:2 imports connect from net",
            "components/host/example.ts:4 imports ../../operator/notify",
            "components/host/example.ts:5 imports node:dns/promises",
            "components/host/example.ts:6 imports child_process",
            "components/host/example.ts:7 imports nodemailer",
            "components/host/example.ts:8 uses net2 (net) as a value",
            "components/host/example.ts:9 uses net2.createConnection (net)",
            "components/host/example.ts:11 calls fetch",
        ];
        for (const e of expected)
            expect(
                found.some((f) => f.startsWith(e)),
                `${e}\nin:\n${found.join("\n")}`,
            ).to.be.true;
        expect(found, found.join("\n")).to.have.length(expected.length);
        // The same member, in a file its allowance does not name.
        expect(
            layoutViolations("components/other.ts", 'import * as fs from "fs";\nfs.existsSync("x");'),
        ).to.have.length(1);
        expect(layoutViolations("components/config/index.ts", 'import * as fs from "fs";\nfs.existsSync("x");')).to.be
            .empty;
    });

    it("no file of index.ts and components/ imports operator/, scripts/, or a module that reaches outside", () => {
        const files = sourceFiles(PROGRAM);
        expect(files.length, "program files found").to.be.greaterThan(30);
        const problems = files.flatMap((f) => layoutViolations(f, fs.readFileSync(path.join(ROOT, f), "utf8")));
        expect(problems, `\n${problems.join("\n")}\n`).to.be.empty;
    });
});

const MAX_LINES = 450;

describe(`layout: no source file is over ${MAX_LINES} lines`, () => {
    it("no file of the program, the operator code, the scripts or the policy pack passes the limit", () => {
        const files = sourceFiles(["index.ts", "components/", "operator/", "scripts/", "policy/"]);
        expect(files.length, "source files found").to.be.greaterThan(60);
        const long = files
            .map((f) => [f, lineCount(fs.readFileSync(path.join(ROOT, f), "utf8"))] as const)
            .filter(([, n]) => n > MAX_LINES)
            .map(([f, n]) => `${f} has ${n} lines, over ${MAX_LINES}: split it`);
        expect(long, `\n${long.join("\n")}\n`).to.deep.equal([]);
    });
});
