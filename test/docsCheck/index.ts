/**
 * Checks Markdown pages against the code they describe: npm scripts named in
 * package.json, config keys declared in Pulumi.yaml, relative links and their
 * anchors, repository paths named in code spans, and stack names passed to the
 * npm scripts. Every check is a pure function of a page's text and the facts
 * read from the repository, so each one can be tested with a made-up page.
 * The checks live by concern beside this file (facts.ts, markdown.ts, configKeys.ts, references.ts); this module
 * gathers them into the one interface test/docs.test.ts imports. The commands of a page's code, nested ones included,
 * are read by one reader (commandWords.ts, pageCommands, over shellWords.ts), which the command checks share
 * (pulumiCommands.ts, configKeys.ts, devSettings.ts, remoteLogins.ts, test/docsAccess.test.ts,
 * test/docsDevSettings.test.ts).
 */
import { checkConfigKeys } from "./configKeys";
import type { DocProblem, RepoFacts } from "./facts";
import { checkLinks, checkPaths, checkScripts, checkStackArgs, checkStackOutputs } from "./references";

export { checkConfigKeys, namedConfigKeys } from "./configKeys";
export type { DocProblem, ProblemKind, RepoFacts } from "./facts";
export { loadRepoFacts, markdownPages } from "./facts";
export { anchors, githubSlug, shellTexts } from "./markdown";
export { everyCommand, pageCommands } from "./commandWords";
export type { PageCommand, RunCommand } from "./commandWords";
export { checkLinks, checkPaths, checkScripts, checkStackArgs, checkStackOutputs } from "./references";

/** Every check on one page. */
export function checkPage(md: string, file: string, facts: RepoFacts): DocProblem[] {
    return [
        ...checkScripts(md, file, facts),
        ...checkConfigKeys(md, file, facts),
        ...checkLinks(md, file, facts),
        ...checkPaths(md, file, facts),
        ...checkStackArgs(md, file, facts),
        ...checkStackOutputs(md, file, facts),
    ];
}

export function formatProblems(problems: readonly DocProblem[]): string {
    return problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join("\n");
}
