/**
 * Rung 3 (the real source tree, read with the TypeScript parser): a service's address is written once, in the catalog.
 * Issue 16 moved every service's name and port into components/catalog, and the program reads them from there
 * (ENDPOINTS); a Prometheus scrape target `"backend:3000"` or a Caddy upstream `"grafana:3000"` written out by hand
 * still works today, but no longer follows the catalog when a port changes, and no check ties it back.
 *
 * So no string literal, template literal or template piece in a program file (index.ts, components/) outside
 * components/catalog/ spells `<service>:<digits>`, for any service name the catalog holds (SERVICE_SPECS). The address
 * must stand alone: `my-backend:1` or `backend.internal:1` is not the catalog's `backend`, and an image reference
 * (`postgres:17.11-alpine`, `grafana/grafana:11.2.2`) or a cited line range (`library/redis:22-25`, in
 * components/imageContracts/) goes on with `.<digit>` or `-` after the digits, which no address does.
 * No program file needs an exception today; a new one would be listed here with its reason.
 */
import { expect } from "chai";
import * as ts from "typescript";
import { SERVICE_SPECS } from "../components/catalog";
import { expectFindings, nodesOf, parseSource, sourceFiles } from "./sourceTree";

const PROGRAM = ["index.ts", "components"];
const CATALOG = "components/catalog/";

/** `<service>:<digits>` for the given names, longest first so `backup-sync:1` is not read as `backup`. */
function addressPattern(names: readonly string[]): RegExp {
    const escaped = [...names]
        .sort((a, b) => b.length - a.length)
        .map((n) => n.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&"));
    return new RegExp(`(?<![\\w.-])(${escaped.join("|")}):(\\d+)(?![\\w-]|\\.\\d)`, "g");
}

/** The literal text of a node, piece by piece for a template with substitutions. */
function literalTexts(node: ts.Node): string[] {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
    if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)];
    return [];
}

/** `file:line spells name:port` for each catalog address written as a literal in `file` (its `text` if given). */
function endpointLiterals(file: string, names: readonly string[], text?: string): string[] {
    if (file.startsWith(CATALOG)) return [];
    const p = parseSource(file, text);
    const pattern = addressPattern(names);
    const out: string[] = [];
    for (const node of nodesOf(p))
        for (const piece of literalTexts(node))
            for (const m of piece.matchAll(pattern))
                out.push(`${p.at(node)} spells ${m[0]}: read it from the catalog (ENDPOINTS)`);
    return out;
}

const CATALOG_NAMES = SERVICE_SPECS.map((s) => s.name);

describe("layout: a service's address is written only in the catalog", () => {
    it("the catalog names the services the attack writes out", () => {
        expect(CATALOG_NAMES).to.include.members(["backend", "grafana", "prometheus", "backup", "backup-sync"]);
    });

    it("the checker finds the attack #3: a scrape target or an upstream written as a literal (crafted)", () => {
        const attack = [
            'const job = { job_name: "backend", static_configs: [{ targets: ["backend:3000"] }] };',
            "const caddy = `reverse_proxy grafana:3000`; const port = 3000;",
            "const t = `${scheme}://prometheus:9090/api`; const u = `http://${host}:${port} backup-sync:8080`;",
            "const s = 'postgres:5432'; const fine = ['my-backend:3000', 'backend.internal:3000', 'backend:port'];",
            'const image = "grafana/grafana:11.2.2"; const cite = "library/redis:22-25"; const pg = "postgres:17.11";',
            "// a comment naming backend:3000 is no literal",
            "job; caddy; t; u; s; fine; image; cite; pg;",
        ].join("\n");
        expectFindings(endpointLiterals("components/monitoring/prometheus.ts", CATALOG_NAMES, attack), [
            "components/monitoring/prometheus.ts:1 spells backend:3000",
            "components/monitoring/prometheus.ts:2 spells grafana:3000",
            "components/monitoring/prometheus.ts:3 spells prometheus:9090",
            "components/monitoring/prometheus.ts:3 spells backup-sync:8080",
            "components/monitoring/prometheus.ts:4 spells postgres:5432",
        ]);
        // The catalog itself is where the addresses live.
        expect(endpointLiterals("components/catalog/app/backend.ts", CATALOG_NAMES, attack)).to.be.empty;
    });

    it("no program file outside components/catalog/ spells a catalog address", () => {
        const files = sourceFiles(PROGRAM);
        expect(files.length, "program files found").to.be.greaterThan(30);
        const found = files.flatMap((f) => endpointLiterals(f, CATALOG_NAMES));
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
    });
});
