/**
 * The docs' shared shell reader (test/docsCheck/markdown.ts, shellWords.ts, commandWords.ts), which every command check
 * of the docs stands on (test/docsAccess.test.ts, test/docsDevSettings.test.ts, test/docsConfigCommands.test.ts,
 * test/docsPulumiCommands.test.ts): it finds every command word of a page wherever the shell would run it, and every
 * code block wherever GitHub renders one; no page may hold an indented code block, which it does not read. Moved from
 * test/docsAccess.test.ts when that file passed 450 lines.
 *
 * Rung 1 (unit): made-up shell text and pages, and the repository's own pages.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { everyCommand, inheritedShells, pageCommands } from "./docsCheck/commandWords";
import { accessOf, accessProblems } from "./docsCheck/hostAccess";
import { indentedCodeBlocks, lines } from "./docsCheck/markdown";

const ROOT = path.join(__dirname, "..");
const PAGES = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) =>
    f.endsWith(".md"),
);
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

describe("the docs' command reader (test/docsCheck/commandWords.ts): every command word of the docs' shell (issue 17; rung 1)", () => {
    const commandLines = (text: string) => everyCommand(text).map((c) => c.words.join(" "));

    it("finds the command after each operator and reserved word, and drops loop and function heads", () => {
        expect(commandLines("a; b && c || d | e & f")).to.deep.equal(["a", "b", "c", "d", "e", "f"]);
        expect(commandLines("if a; then b; elif c; then d; else e; fi")).to.deep.equal(["a", "b", "c", "d", "e"]);
        expect(commandLines("for s in x y; do a $s; done; while b; do c; done; until d; do e; done")).to.deep.equal([
            "a $s",
            "b",
            "c",
            "d",
            "e",
        ]);
        expect(commandLines("! { a; }; f() { b; }; function g { c; }")).to.deep.equal(["a", "b", "c"]);
        expect(commandLines("'then' a; echo then")).to.deep.equal(["then a", "echo then"]);
    });

    it("follows each wrapper to the command it runs, skipping its options as its own parser does", () => {
        const cases: Array<[string, string[]]> = [
            ["time -p a 1", ["time -p a 1", "a 1"]],
            [
                "nice -n 5 a; nice -10 b; nice --adjustment=3 c",
                ["nice -n 5 a", "a", "nice -10 b", "b", "nice --adjustment=3 c", "c"],
            ],
            [
                "nohup a; timeout -k 5 10s b; timeout --signal KILL 10 c",
                ["nohup a", "a", "timeout -k 5 10s b", "b", "timeout --signal KILL 10 c", "c"],
            ],
            ["xargs -0 -I{} -n 1 a {}; xargs", ["xargs -0 -I{} -n 1 a {}", "a {}", "xargs", "echo"]],
            ["watch -x a b; watch -n 1 -d 'c | d'", ["watch -x a b", "a b", "watch -n 1 -d c | d", "c", "d"]],
            [
                "sudo -n -u root a; exec -a name b; command -p c; command -v d",
                ["sudo -n -u root a", "a", "exec -a name b", "b", "command -p c", "c", "command -v d"],
            ],
            ["env -S 'nice -n 1' a", ["env -S nice -n 1 a", "nice -n 1 a", "a"]],
        ];
        for (const [text, expected] of cases) expect(commandLines(text), text).to.deep.equal(expected);
    });

    it("keeps the variables set on the way: NAME=value words, env's own, env -u and -i, and sudo's reset", () => {
        const [, viaEnv] = everyCommand("X=0 env -i -u X Y=1 a");
        expect(viaEnv).to.deep.include({ words: ["a"], assigned: ["Y"], unset: ["X"], clearedEnv: true });
        const [, viaSudo] = everyCommand("Z=1 sudo -n Y=2 a");
        expect(viaSudo).to.deep.include({ words: ["a"], assigned: ["Y"], clearedEnv: true });
        expect(everyCommand("A=1 B=2")).to.deep.equal([
            {
                words: [],
                line: 1,
                shell: "",
                piped: false,
                assigned: ["A", "B"],
                values: { A: "1", B: "2" },
                unset: [],
                clearedEnv: false,
            },
        ]);
        expect(everyCommand("A=1 env A=2 B= a")[1]).to.deep.include({
            assigned: ["A", "B"],
            values: { A: "2", B: "" },
        });
    });

    it("reads the shell text a command hands on, here and on a host, each in a new shell", () => {
        expect(commandLines("sh -c 'a; b'; bash -o pipefail -c 'c | d'; sh script.sh")).to.deep.equal([
            "sh -c a; b",
            "a",
            "b",
            "bash -o pipefail -c c | d",
            "c",
            "d",
            "sh script.sh",
        ]);
        expect(commandLines("ssh deploy@h a b; ssh -p 22 h -l u -- 'c; d'").slice(1)).to.deep.equal([
            "a b",
            "ssh -p 22 h -l u -- c; d",
            "c",
            "d",
        ]);
        expect(commandLines("npm run ssh -- prod -- 'a && b'; doctl compute ssh x --ssh-command 'c'")).to.deep.equal([
            "npm run ssh -- prod -- a && b",
            "a",
            "b",
            "doctl compute ssh x --ssh-command c",
            "c",
        ]);
        const shells = everyCommand("a; (b; (c)); echo $(d); ssh h 'e; (f)'; sh -c g").map(
            (c) => `${c.words[0]} in "${c.shell}"`,
        );
        expect(shells).to.deep.equal([
            'a in ""',
            'b in "/1"',
            'c in "/1/2"',
            'd in "/3"',
            'echo in ""',
            'ssh in ""',
            'e in "/@4"',
            'f in "/@4/5"',
            'sh in ""',
            'g in "/6"',
        ]);
        expect(inheritedShells("/@4/5")).to.deep.equal(["/@4/5", "/@4"]);
        expect(inheritedShells("/1/2")).to.deep.equal(["/1/2", "/1", ""]);
    });

    // Issue 17, attack pass 2: an indented code block (`    npm run ssh -- prod -- sudo systemctl restart docker`) and
    // a fence indented 4 or more under a nested list item were read by no check. The reader now finds fences where
    // GitHub does, and the docs refuse indented blocks (markdown.ts, indentedCodeBlocks, says why).
    it("no page holds an indented code block: the checks read fenced blocks, which say what they hold", () => {
        const found = PAGES.flatMap((page) =>
            indentedCodeBlocks(read(page)).map((b) => `${page}:${b.line}: ${b.text.trim()}`),
        );
        expect(found, `use a fenced block (\`\`\`sh, or \`\`\`text for output):\n${found.join("\n")}`).to.deep.equal(
            [],
        );
    });

    it("finds indented code blocks where CommonMark does: never a paragraph's continuation, 4 columns past a list item's text", () => {
        const blocks = (md: string) => indentedCodeBlocks(md).map((b) => b.line);
        expect(blocks("Restart it:\n\n    npm run ssh -- prod -- sudo systemctl restart docker\n")).to.deep.equal([3]);
        expect(blocks("## Going back\n    npm run rollback -- prod --version 1.4.1 --force")).to.deep.equal([2]);
        expect(blocks("1. Roll back:\n\n       npm run rollback -- prod\n")).to.deep.equal([3]);
        expect(blocks("- a\n  - b\n\n        code in b\n")).to.deep.equal([4]);
        expect(blocks("-     code right after the marker\n")).to.deep.equal([1]);
        expect(blocks("> quoted:\n>\n>     code\n")).to.deep.equal([3]);
        expect(blocks("\tcode after a tab\n\n    and a second chunk\n")).to.deep.equal([1]);
        // Text, not code: a paragraph's continuation however indented, a list item's paragraphs, a fence's lines.
        expect(blocks("A sentence\n    that wraps deeper.\n")).to.deep.equal([]);
        expect(blocks("- Docker waits\n    and wraps.\n\n  Next paragraph of the item.\n")).to.deep.equal([]);
        expect(blocks("1. Step\n\n   text\n\n   ```sh\n       in the fence\n   ```\n")).to.deep.equal([]);
        expect(blocks("- a\n  - b\n\n    paragraph of b\n")).to.deep.equal([]);
        expect(blocks("<!--\n\n    a comment\n-->\n")).to.deep.equal([]);
    });

    it("reads a fence where GitHub does: under a nested list item, closed as far in, ended by its list item", () => {
        const nested =
            "1. Restart:\n   - on prod:\n     ```sh\n     npm run ssh -- prod -- sudo systemctl restart docker\n     ```\n";
        expect(pageCommands(nested).map((c) => `${c.line}:${c.words.join(" ")}`)).to.include(
            "4:sudo systemctl restart docker",
        );
        expect(accessProblems(nested, "fake.md", accessOf("prod"), "prod")).to.have.length(1);
        // A `> ` continuation prompt in a console block is the block's text, not a block quote that ends it.
        const console = "```console\n$ pulumi config set \\\n>   --path droplet.size x --stack prod\n```";
        expect(pageCommands(console).map((c) => c.words.join(" "))).to.deep.equal([
            "pulumi config set --path droplet.size x --stack prod",
        ]);
        // A line less indented than the item's text ends the item, and the fence in it.
        const left = "- a:\n  ```sh\n  x\nb\n  ```\n";
        expect(lines(left).map((l) => (l.fence ?? (l.fenced ? "F" : "-")).slice(0, 1))).to.deep.equal([
            "-",
            "o",
            "F",
            "-",
            "o",
            "F",
        ]);
    });

    it("reads a page's shell blocks whole, other blocks line by line, console prompts, spans over lines, and no data", () => {
        const md = [
            "```yaml",
            "runcmd: [sudo a]",
            "```",
            "```text",
            "it's output: b",
            "c",
            "```",
            "```console",
            "$ d \\",
            "  --flag",
            "e (output)",
            "```",
            "Run `f",
            "g` then.",
        ].join("\n");
        expect(
            pageCommands(md).map((c) => `${c.line}:${c.words.join(" ")}${c.inBlock ? "" : " (span)"}`),
        ).to.deep.equal(["5:its output: b", "6:c", "9:d --flag", "13:f g (span)"]);
    });
});
